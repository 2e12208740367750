"""Templates compiled once per language, with their literal ``_("...")`` already translated.

A page calls ``_()`` some thirty times, and each call is a trip through Jinja's context, the
catalogue and Markup formatting that gives the same answer every time for the same language.
So each template is compiled once per language instead, under the name ``LANG::name``:

- ``LanguageEnvironment.get_template`` adds the request's language to a name without one, and
  ``join_path`` gives an included, imported or extended template its parent's language;
- ``LanguageLoader`` serves every ``LANG::name`` from Flask's own loader, so that Jinja compiles
  it under that name (a ``PrefixLoader`` would compile it under the bare name);
- the ``CompiledTranslations`` extension's ``filter_stream`` (Jinja's documented hook for
  rewriting a template's tokens) replaces ``_("literal")`` by the literal's translation.

Only texts that come out the same either way are replaced: no variables, no ``%`` (which the
call would format) and none of the characters autoescaping changes (a translation is trusted
Markup; a literal string is escaped). The rest stay calls, as do templates made from strings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from babel.support import NullTranslations
from flask import Flask
from flask.templating import Environment
from jinja2 import BaseLoader, Template, TemplateNotFound
from jinja2 import Environment as BaseEnvironment
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

from web.core.extensions import babel
from web.core.i18n import LOCALE_OBJECTS, LOCALES, CatalogueDomain, current_locale

SEPARATOR = "::"
# What autoescaping would change, and what the call would format.
_NOT_PLAIN = frozenset("<>&\"'%")


def _language_of(name: str | None) -> str | None:
    language, separator, _rest = (name or "").partition(SEPARATOR)
    return language if separator and language in LOCALES else None


class LanguageEnvironment(Environment):
    """Flask's Environment, each template compiled once per language (``LANG::name``)."""

    def __init__(self, app: Flask, **options: Any) -> None:
        loader: BaseLoader = options.pop("loader", None) or app.create_global_jinja_loader()
        options["loader"] = LanguageLoader(loader)
        super().__init__(app, **options)
        self.add_extension(CompiledTranslations)

    def get_template(
        self,
        name: str | Template,
        parent: str | None = None,
        globals: dict[str, Any] | None = None,
    ) -> Template:
        """The template in the request's language (or its parent's)."""
        if isinstance(name, str) and SEPARATOR not in name:
            name = f"{_language_of(parent) or current_locale()}{SEPARATOR}{name}"
        return super().get_template(name, parent, globals)

    def join_path(self, template: str, parent: str) -> str:
        """An included, imported or extended template in its parent's language."""
        language = _language_of(parent)
        if language is None or SEPARATOR in template:
            return template
        return f"{language}{SEPARATOR}{template}"


class LanguageLoader(BaseLoader):
    """``LANG::name``: the source of ``name`` from ``loader``, compiled under the full name."""

    def __init__(self, loader: BaseLoader) -> None:
        self.loader = loader

    def get_source(
        self, environment: BaseEnvironment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        """The source of the template without its language."""
        if _language_of(template) is None:
            raise TemplateNotFound(template)
        return self.loader.get_source(environment, template.partition(SEPARATOR)[2])

    def list_templates(self) -> list[str]:
        """Every template in every language."""
        names = self.loader.list_templates()
        return [f"{language}{SEPARATOR}{name}" for language in LOCALES for name in names]


class CompiledTranslations(Extension):
    """Replaces ``_("literal")`` by its translation in a template compiled for one language."""

    def filter_stream(self, stream: TokenStream) -> Iterable[Token]:
        """The template's tokens, its plain literal ``_()`` calls translated."""
        language = _language_of(stream.name)
        if language is None:
            return stream
        return _translated(stream, catalogue(language))


def catalogue(language: str) -> NullTranslations:
    """The merged catalogue of ``language`` (one of LOCALES), outside a request too."""
    domain = babel.domain_instance
    assert isinstance(domain, CatalogueDomain)
    return domain.catalogue(LOCALE_OBJECTS[language])


def _translated(stream: Iterable[Token], catalogue: NullTranslations) -> Iterator[Token]:
    window: list[Token] = []
    previous: Token | None = None
    for token in stream:
        window.append(token)
        if len(window) < 4:
            continue
        name, opening, literal, closing = window
        if (
            name.type == "name"
            and name.value == "_"
            and opening.type == "lparen"
            and literal.type == "string"
            and closing.type == "rparen"
            and (previous is None or previous.type != "dot")
        ):
            text = catalogue.ugettext(literal.value)
            if _NOT_PLAIN.isdisjoint(text):
                yield Token(name.lineno, "string", text)
                previous, window = closing, []
                continue
        previous = window.pop(0)
        yield previous
    yield from window
