"""SECRET_KEY: refused when weak outside `tracker demo`; the demo keeps its own, privately."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from config import SettingsError, load_settings
from config.instance import private_file
from config.settings import EXAMPLE_SECRET_KEY
from web import create_app
from workers.worker_app import create_worker_app

ROOT = Path(__file__).resolve().parents[2]


def _settings(tmp_path: Path, **environ: str):  # type: ignore[no-untyped-def]
    return load_settings(
        {
            "TRACKER_INSTANCE": str(tmp_path / "instance"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            **environ,
        }
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_example_key_is_the_one_env_example_ships() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert re.search(rf"^SECRET_KEY={re.escape(EXAMPLE_SECRET_KEY)}$", example, re.MULTILINE)


@pytest.mark.parametrize(
    ("key", "why"),
    [
        (None, "is not set"),
        (EXAMPLE_SECRET_KEY, ".env.example"),
        ("k" * 31, "has 31 characters"),
    ],
)
def test_the_web_app_and_the_worker_refuse_a_weak_key(
    tmp_path: Path, key: str | None, why: str
) -> None:
    settings = _settings(tmp_path, **({"SECRET_KEY": key} if key else {}))
    for start in (create_app, create_worker_app):
        with pytest.raises(SettingsError) as refused:
            start(settings)
        message = str(refused.value)
        assert "SECRET_KEY" in message
        assert why in message
        assert "32" in message


def test_a_key_of_32_characters_starts(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path, SECRET_KEY="k" * 32))
    assert app.secret_key == "k" * 32
    app.extensions["database"].dispose()


def test_no_key_file_is_made_outside_the_demo(tmp_path: Path) -> None:
    assert _settings(tmp_path).secret_key == ""
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_the_demo_makes_its_own_key_privately_and_reuses_it(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    env = {"TRACKER_INSTANCE": str(instance)}
    first = load_settings(env, demo=True)
    assert len(first.secret_key) >= 32
    assert _mode(instance / "secret_key") == 0o600
    assert _mode(instance) == 0o700
    assert load_settings(env, demo=True).secret_key == first.secret_key
    # Accepted in the demo only: the same generated key is no production key.
    app = create_app(first)
    assert app.secret_key == first.secret_key
    app.extensions["database"].dispose()


def test_private_files_are_created_for_their_owner_only(tmp_path: Path) -> None:
    database = private_file(tmp_path / "demo" / "tracker.db")
    assert _mode(database) == 0o600
    assert _mode(database.parent) == 0o700
    # An old file left readable by everyone is narrowed on the next start.
    database.chmod(0o644)
    private_file(database)
    assert _mode(database) == 0o600
    # A folder that was there already (a shared one, say) keeps its mode.
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    private_file(shared / "tracker.db")
    assert _mode(shared) == 0o755
    assert _mode(shared / "tracker.db") == 0o600
