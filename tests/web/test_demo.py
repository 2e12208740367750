"""`tracker demo`, as a newcomer runs it: the product on SQLite, notices in the local outbox."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from web.cli.demo import site_address


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def test_demo_runs_the_loop_and_shows_the_outbox(tmp_path: Path) -> None:
    port = _free_port()
    tracker = Path(sys.executable).with_name("tracker")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TRACKER_INSTANCE": str(tmp_path / "instance"),
        # No PUBLIC_BASE_URL: the links follow --port (DESIGN §5.2).
        # SMS is held 21:00-09:00 Taipei by default; the receipts by SMS must show at any hour.
        "SMS_QUIET_HOURS": "",
    }
    log = (tmp_path / "demo.log").open("w+")
    demo = subprocess.Popen(
        [str(tracker), "demo", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        page = ""
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                page = _get(f"http://127.0.0.1:{port}/outbox")
                if page.count("收件確認") >= 4:  # the samples' receipts, by SMS and by email
                    break
            except OSError:
                pass
            time.sleep(0.5)
        log.seek(0)
        output = log.read()
        assert page.count("收件確認") >= 4, output
        assert "user clerk: password" in output
        assert "[outbox] receipt by sms" in output
        # The links in the notices lead to where the demo listens, not to :5000.
        assert f"http://127.0.0.1:{port}/s/" in page
        assert "127.0.0.1:5000" not in page
        # No phone number or full name reaches the console or the page.
        for private in ("0912", "+886", "王小明", "yating@example.org"):
            assert private not in output and private not in page
        # It reloads itself with the static script, not a meta refresh (WCAG 2.2.1).
        assert "http-equiv" not in page and 'data-refresh-seconds="10"' in page
        assert "/static/refresh.js" in page
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        demo.wait(timeout=10)
        log.close()
    assert (tmp_path / "instance" / "tracker.db").exists()
    # Applicants' names and the session key: readable by this account only.
    assert stat.S_IMODE((tmp_path / "instance").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "instance" / "tracker.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "instance" / "secret_key").stat().st_mode) == 0o600


def test_site_address_follows_host_and_port() -> None:
    assert site_address("127.0.0.1", 5001) == "http://127.0.0.1:5001"
    assert site_address("0.0.0.0", 8080) == "http://127.0.0.1:8080"
    assert site_address("::1", 5000) == "http://[::1]:5000"
    assert site_address("demo.local", 5000) == "http://demo.local:5000"
