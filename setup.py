"""The build step's one addition to pyproject.toml: compile the translations.

setuptools runs ``build_py`` for every install, editable (``pip install -e .``) or not, so the
``.mo`` files that Flask-Babel reads are written there by Babel's own ``compile_catalog``
command (what ``pybabel compile`` runs), beside their ``.po`` in ``web/translations``.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import compile_catalog
from setuptools import setup
from setuptools.command.build_py import build_py

TRANSLATIONS = Path(__file__).resolve().parent / "web" / "translations"
DOMAINS = "messages counter"  # the public pages' catalogue and the counter console's


class build_py_with_catalogues(build_py):  # noqa: N801 - setuptools' command naming
    """setuptools' build_py, compiling every ``.po`` to its ``.mo`` first."""

    def run(self) -> None:
        """Compile the catalogues, then build as usual (the ``.mo`` are package data)."""
        compile_command = self.distribution.get_command_obj("compile_catalog")
        compile_command.directory = str(TRANSLATIONS)
        compile_command.domain = DOMAINS
        self.run_command("compile_catalog")
        super().run()


setup(cmdclass={"build_py": build_py_with_catalogues, "compile_catalog": compile_catalog})
