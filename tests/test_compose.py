"""docker-compose.yml runs the documented processes (DESIGN §5.3, README "Processes") and is a
valid Compose file.

"Valid" is checked against the Compose specification's JSON schema as shipped in the
``docker-compose==1.29.2`` wheel (``compose/config/compose_spec.json``): it is fetched once with
``pip download`` into ~/.cache/case-tracker/ and read straight out of the wheel. No Docker needed.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from jsonschema import Draft201909Validator

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SCHEMA_WHEEL = "docker-compose==1.29.2"
SCHEMA_MEMBER = "compose/config/compose_spec.json"
SCHEMA_CACHE = Path.home() / ".cache" / "case-tracker" / "compose-schema"

# The contract (DESIGN §5.3): the three processes of the product and their commands.
DOCUMENTED = {
    "web": 'gunicorn "web:create_app()"',
    "worker": "celery -A workers worker",
    "beat": "celery -A workers beat",
}
APP_SERVICES = ("web", "worker", "beat")
BACKING_SERVICES = ("postgres", "redis", "mailpit")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """docker-compose.yml as Compose reads it (YAML merge keys resolved: ``<<: *app``)."""
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    assert command, "no command: the image's CMD would run instead"
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def _is_subsequence(wanted: Iterable[str], tokens: list[str]) -> bool:
    remaining = iter(tokens)
    return all(any(token == want for token in remaining) for want in wanted)


def _runs(command: list[str], documented: str) -> bool:
    """The same program, with the documented arguments in order (options may be added)."""
    words = shlex.split(documented)
    return command[:1] == words[:1] and _is_subsequence(words, command)


def _readme_processes() -> dict[str, str]:
    """The README's process table: process name → the command in backticks."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Processes", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\|\s*(\w+)\s*\|\s*`([^`]+)`", section, flags=re.MULTILINE))


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the list form: ["KEY=value", ...]
        env = dict(item.split("=", 1) for item in env)
    return {str(key): str(value) for key, value in env.items()}


def _needs(compose: dict[str, Any], name: str) -> set[str]:
    """Every service ``name`` waits for, directly or through others."""
    found: set[str] = set()
    todo = [name]
    while todo:
        depends = compose["services"][todo.pop()].get("depends_on") or []
        for other in depends if isinstance(depends, list) else list(depends):
            if other not in found:
                found.add(other)
                todo.append(other)
    return found


def test_the_documented_processes_and_their_services_are_there(compose: dict[str, Any]) -> None:
    assert set(APP_SERVICES + BACKING_SERVICES) <= set(compose["services"])


@pytest.mark.parametrize("process", APP_SERVICES)
def test_each_process_runs_the_documented_command(compose: dict[str, Any], process: str) -> None:
    command = _command(compose["services"][process])
    assert _runs(command, DOCUMENTED[process]), f"{command} is not `{DOCUMENTED[process]}`"


def test_the_readme_shows_the_same_commands() -> None:
    assert _readme_processes() == DOCUMENTED


def test_the_image_runs_the_web_process_by_default() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    [cmd] = re.findall(r"^CMD\s+(\[.*\])\s*$", dockerfile, flags=re.MULTILINE)
    assert _runs(json.loads(cmd), DOCUMENTED["web"])


@pytest.mark.parametrize("process", APP_SERVICES)
def test_the_app_processes_reach_postgresql_and_redis(
    compose: dict[str, Any], process: str
) -> None:
    service = compose["services"][process]
    env = _environment(service)
    database, broker = urlsplit(env["DATABASE_URL"]), urlsplit(env["REDIS_URL"])
    # The documented form (DESIGN §5.4), pointing at the compose services by name.
    assert database.scheme == "postgresql" and database.hostname == "postgres"
    assert broker.scheme == "redis" and broker.hostname == "redis"
    # Started only once both are up (through the migration, for the long-running ones).
    assert {"postgres", "redis"} <= _needs(compose, process)


def test_the_image_holds_every_top_level_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*").rstrip(".") for pattern in patterns}
    on_disk = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in ("tests", "bench")
    }
    assert packages == on_disk, "pyproject's package list and the folders disagree"
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    copied: set[str] = set()
    for line in re.findall(r"^COPY\s+(.+)$", dockerfile, flags=re.MULTILINE):
        *sources, _target = line.split()
        copied |= {source.rstrip("/") for source in sources if not source.startswith("--")}
    # `pip install .` also needs the project file and the readme it names.
    assert packages | {"pyproject.toml", "README.md"} <= copied or "." in copied, copied


def _compose_schema() -> dict[str, Any]:
    """The Compose spec's JSON schema, from the docker-compose wheel (downloaded once)."""
    wheels = sorted(SCHEMA_CACHE.glob("docker_compose-1.29.2-*.whl"))
    if not wheels:
        SCHEMA_CACHE.mkdir(parents=True, exist_ok=True)
        download = [sys.executable, "-m", "pip", "download", "--no-deps", SCHEMA_WHEEL]
        result = subprocess.run(
            [*download, "--dest", str(SCHEMA_CACHE)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, f"cannot fetch the schema's wheel:\n{result.stderr}"
        wheels = sorted(SCHEMA_CACHE.glob("docker_compose-1.29.2-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as wheel:
        schema: dict[str, Any] = json.loads(wheel.read(SCHEMA_MEMBER))
    return schema


def test_the_file_validates_against_the_compose_schema(compose: dict[str, Any]) -> None:
    schema = _compose_schema()
    # The schema names draft 2019-09 by an address jsonschema does not recognise ("http", "#").
    assert "2019-09" in schema["$schema"]
    Draft201909Validator.check_schema(schema)
    validator = Draft201909Validator(schema)
    # The schema is strict enough to mean something: an unknown service key is refused.
    assert not validator.is_valid({"services": {"web": {"image": "x", "comand": "typo"}}})
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.path)) or '(top)'}: {e.message}" for e in errors
    )


def test_the_web_process_believes_its_one_proxy(compose: dict[str, Any]) -> None:
    # The reverse proxy in front of web (docs/operations.md, section 2); the default is 0.
    web = _environment(compose["services"]["web"])
    assert web["TRUSTED_PROXIES"] == "1"
    # The override keeps the shared settings (a merge, not a replacement).
    assert web["DATABASE_URL"].startswith("postgresql://")
    for process in ("worker", "beat"):
        assert "TRUSTED_PROXIES" not in _environment(compose["services"][process])
