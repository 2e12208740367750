"""Product code uses Flask, Werkzeug, Jinja, Flask-Babel, Flask-WTF, Flask-Limiter, SQLAlchemy,
Celery and kombu through their documented interfaces only (tests/support/library_internals.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.support.library_internals import scan, scan_sources

ROOT = Path(__file__).resolve().parents[1]


def findings(*modules: tuple[str, str]) -> list[str]:
    """What the check says of snippets, each (module name, source)."""
    sources = {name: (f"{name}.py", textwrap.dedent(text)) for name, text in modules}
    return [f.what for f in scan_sources(sources)]


def test_the_product_reads_no_librarys_internals() -> None:
    found = scan(ROOT)
    assert found == [], "library internals used:\n" + "\n".join(map(str, found))


def test_it_scans_every_product_package(tmp_path: Path) -> None:
    packages = ("tracker", "workers", "notifications", "web", "config")
    for package in packages:
        module = tmp_path / package / "deep" / "module.py"
        module.parent.mkdir(parents=True)
        module.write_text("from flask import g\n\nx = g._planted\n", encoding="utf-8")
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "module.py").write_text("import flask\nflask._x\n", encoding="utf-8")
    found = scan(tmp_path)
    assert [f.path for f in found] == sorted(f"{p}/deep/module.py" for p in packages)
    assert {(f.line, f.what) for f in found} == {(3, "reads g._planted (flask.g)")}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from flask.globals import _cv_app\n", "imports _cv_app from flask.globals"),
        ("from flask.globals import _cv_request as r\n", "imports _cv_request from flask.globals"),
        ("import jinja2._identifier\n", "imports the private module jinja2._identifier"),
        ("from celery._state import x\n", "imports from the private module celery._state"),
        (
            """
            from flask_limiter import Limiter
            limiter = Limiter(key_func=str)
            check = limiter._check_request_limit
            """,
            "reads limiter._check_request_limit (flask_limiter.Limiter)",
        ),
        (
            """
            from flask import g
            def f():
                return g._flask_babel
            """,
            "reads g._flask_babel (flask.g)",
        ),
        (
            """
            from flask import Flask
            def f(app: Flask):
                env = app.jinja_env
                return env._parse("", None, None)
            """,
            "reads env._parse (flask.Flask.jinja_env)",
        ),
        (
            """
            from flask import Flask
            def f(app: "Flask | None", x):
                for hook in app.after_request_funcs[None]:
                    return hook.__inject_headers
            """,
            "reads hook.__inject_headers (flask.Flask.after_request_funcs)",
        ),
        (
            """
            def f(hook):
                return getattr(hook, "__name__", "") == "__inject_headers"
            """,
            "finds something by the private name __inject_headers",
        ),
        (
            """
            from flask.globals import app_ctx
            x = app_ctx.g.__dict__.get("_flask_babel")
            """,
            "looks _flask_babel up in app_ctx.g.__dict__",
        ),
        (
            """
            import sqlalchemy as sa
            def f(engine: sa.Engine):
                return getattr(engine, "_private")
            """,
            "getattr() of _private on engine",
        ),
        (
            """
            from kombu import Connection
            with Connection("memory://") as conn:
                conn._default_channel
            """,
            "reads conn._default_channel (kombu.Connection)",
        ),
        (
            """
            from flask.templating import Environment
            class Mine(Environment):
                def _parse(self, source, name, filename):
                    return super()._parse(source, name, filename)
            """,
            "overrides _parse of flask.templating.Environment",
        ),
        (
            """
            from flask_babel import Domain
            class Mine(Domain):
                def get_translations(self):
                    return self._translation_directories
            """,
            "reads self._translation_directories, not defined by the class",
        ),
    ],
)
def test_each_kind_of_reach_is_reported(source: str, expected: str) -> None:
    assert expected in findings(("snippet", source))


def test_a_library_object_imported_from_another_product_module_is_followed() -> None:
    extensions = "from flask_limiter import Limiter\nlimiter = Limiter(key_func=str)\n"
    user = "from web.core.extensions import limiter\nlimiter._check_request_limit()\n"
    assert findings(("web.core.extensions", extensions), ("web.other", user)) == [
        "reads limiter._check_request_limit (flask_limiter.Limiter)"
    ]


def test_documented_underscore_api_dunders_and_our_own_privates_pass() -> None:
    source = """
        from flask_babel import _, Domain, gettext as _g
        from sqlalchemy.orm import Session
        from tracker.models import Case

        def f(session: Session) -> None:
            row = session.execute(None).one()
            row._mapping, row._asdict(), row._fields, row._t, row._tuple()
            Case.__table__, session.__class__.__name__

        class Mine(Domain):
            def __init__(self) -> None:
                super().__init__()
                self._own = 1

            def _load(self) -> int:
                return self._own

        class Plain:
            def f(self, other: "Plain") -> None:
                other._anything, self._else
    """
    assert findings(("snippet", source)) == []
