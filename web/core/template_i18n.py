"""Templates compiled once per language, with their literal ``_("...")`` already translated.

A page says ``{{ _("Status") }}`` some thirty times. Called at render time, each is a context
call, a catalogue lookup and a Markup; yet for a given language and catalogue the answer never
changes. So a template is compiled per language (and per catalogue version): every ``_()`` whose
message is a literal becomes the translated text in the compiled code, and one with variables
(``_("Case %(number)s", number=n)``) becomes the translated Markup formatted with them, which
escapes them exactly as the runtime ``_()`` (``web.core.i18n.template_gettext``) does. Anything else
(a message that is not a literal, ``ngettext``, Python's ``lazy_gettext``) is left to run.

The language travels in the template's name: ``@en.3/public/status_case.html`` is that template
compiled for English with the third catalogue version this process has seen. ``{% extends %}``,
``{% include %}`` and ``{% from ... import %}`` keep their parent's prefix (``join_path``), and
the loader is asked for the name without it. The prefix goes in front so the name still ends in
``.html``, which is what switches autoescaping on. Outside a request (no language) a template
is compiled as written and its ``_()`` runs as usual.
"""

from __future__ import annotations

import itertools
import re
import weakref
from collections.abc import Callable, MutableMapping
from typing import Any

from flask import Flask, has_request_context
from flask.templating import Environment
from jinja2 import BaseLoader, Template, nodes
from jinja2.environment import Environment as BaseEnvironment
from jinja2.visitor import NodeTransformer

from web.core.i18n import current_locale, request_translations

_PREFIX = re.compile(r"^@(?P<locale>[A-Za-z_]+)\.(?P<version>\d+)/")


class CatalogueVersions:
    """A small number per catalogue object, and the object back from the number."""

    def __init__(self) -> None:
        self._numbers: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
        self._catalogues: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
        self._next = itertools.count(1)

    def number(self, catalogue: Any) -> int:
        """The number of ``catalogue`` (a new one the first time it is seen)."""
        number = self._numbers.get(catalogue)
        if number is None:
            number = self._numbers[catalogue] = next(self._next)
            self._catalogues[number] = catalogue
        return number

    def catalogue(self, number: int) -> Any | None:
        """The catalogue numbered ``number``, while it is still in use."""
        return self._catalogues.get(number)


class _PrefixedLoader(BaseLoader):
    """The app's loader, asked for a template's own name without the language prefix."""

    def __init__(self, inner: BaseLoader) -> None:
        self.inner = inner

    def get_source(
        self, environment: BaseEnvironment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        """The source of the template the (prefixed) name stands for."""
        return self.inner.get_source(environment, _PREFIX.sub("", template, count=1))

    def list_templates(self) -> list[str]:
        """The templates the app's loader knows."""
        return self.inner.list_templates()


class LocalizedEnvironment(Environment):
    """Flask's template environment, compiling each template per language (see above)."""

    def __init__(self, app: Flask, **options: Any) -> None:
        super().__init__(app, **options)
        self.loader = _PrefixedLoader(self.loader)  # type: ignore[arg-type]
        self.versions = CatalogueVersions()

    def get_template(
        self,
        name: str | Template,
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> Template:
        """The template ``name``, compiled for the request's language when there is one."""
        if (
            parent is None
            and isinstance(name, str)
            # Off, every ``_()`` runs at render time (the tests compare both ways' pages).
            and self.app.config.get("TEMPLATE_INLINE_TRANSLATIONS", True)
            and has_request_context()
            and not _PREFIX.match(name)
        ):
            version = self.versions.number(request_translations())
            name = f"@{current_locale()}.{version}/{name}"
        return super().get_template(name, parent, globals)

    def join_path(self, template: str, parent: str) -> str:
        """A template named inside another is compiled for the same language."""
        found = _PREFIX.match(parent)
        if found is None or _PREFIX.match(template):
            return template
        return found.group(0) + template

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        found = _PREFIX.match(name or "")
        if found is not None:
            catalogue = self.versions.catalogue(int(found.group("version")))
            if catalogue is not None:
                _Inliner(catalogue.ugettext).visit(tree)
        return tree


class _Inliner(NodeTransformer):
    """Replaces every ``_("literal", name=value, ...)`` by its translation."""

    def __init__(self, gettext: Callable[[str], str]) -> None:
        self.gettext = gettext

    def visit_Call(self, node: nodes.Call) -> nodes.Node:  # noqa: N802 - the visitor's naming
        """A literal ``_()`` call becomes its translation; other calls are left as they are."""
        node = self.generic_visit(node)
        return _translated(node, self.gettext) or node


def _translated(call: nodes.Call, gettext: Callable[[str], str]) -> nodes.Expr | None:
    """The node standing for ``call``'s result, or None when it is not a literal ``_()``."""
    if not (
        isinstance(call.node, nodes.Name)
        and call.node.name == "_"
        and len(call.args) == 1
        and isinstance(call.args[0], nodes.Const)
        and isinstance(call.args[0].value, str)
        and call.dyn_args is None
        and call.dyn_kwargs is None
    ):
        return None
    text = nodes.MarkSafe(nodes.Const(gettext(call.args[0].value)), lineno=call.lineno)
    if not call.kwargs:
        return text
    # Markup % {...}: the values escaped into the trusted translation, as template_gettext does.
    values = nodes.Dict(
        [nodes.Pair(nodes.Const(k.key), k.value, lineno=k.lineno) for k in call.kwargs],
        lineno=call.lineno,
    )
    return nodes.Mod(text, values, lineno=call.lineno)


def init_template_i18n(app: Flask) -> None:
    """Compile ``app``'s templates per language (call before anything touches jinja_env)."""
    app.jinja_environment = LocalizedEnvironment  # type: ignore[assignment]
