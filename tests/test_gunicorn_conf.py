"""gunicorn.conf.py: read by the documented web command, shipped in the image, and it freezes."""

from __future__ import annotations

import gc
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def test_the_web_command_reads_it_from_the_working_directory() -> None:
    printed = subprocess.run(
        [str(GUNICORN), "--print-config", "web:create_app()"],
        cwd=ROOT,
        # gunicorn loads the app to print its config, and the app refuses to start without a
        # strong key (DESIGN §5.4).
        env={**os.environ, "SECRET_KEY": "gunicorn-conf-tests-" + "g" * 32},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    settings = {
        name.strip(): value.strip()
        for name, _, value in (line.partition("=") for line in printed.splitlines())
    }
    assert settings["config"] == "./gunicorn.conf.py"
    assert settings["post_worker_init"] == "<post_worker_init()>"


def test_the_image_has_it_in_the_working_directory() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "WORKDIR /app" in dockerfile
    assert "COPY gunicorn.conf.py ./" in dockerfile


def test_a_worker_freezes_what_it_loaded() -> None:
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    assert spec is not None and spec.loader is not None
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    assert gc.get_freeze_count() == 0
    try:
        conf.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
