"""Debian's prometheus scrapes gunicorn's /metrics (two workers, one metrics directory) and
answers a query through its HTTP API with the sum of both workers' counts; the alert rules load.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests

from tests.support.processes import Processes, free_port, wait_until
from tracker.db import Database

pytestmark = [pytest.mark.processes, pytest.mark.postgres]

ALERTS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"
HITS = 40


def test_prometheus_reads_a_counter_summed_over_gunicorns_workers(
    process_env: dict[str, str], watch_db: Database, web_port: int, tmp_path: Path
) -> None:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is not installed (Debian package prometheus); no skipping")
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    env = process_env | {"PROMETHEUS_MULTIPROC_DIR": str(metrics)}
    procs = Processes(env, tmp_path / "logs")
    try:
        procs.web(web_port, workers=2)
        wait_until(
            lambda: _answers(f"http://127.0.0.1:{web_port}/healthz"),
            timeout=30,
            what="gunicorn",
        )
        hits = 0

        def both_workers_counted() -> bool:
            # A new connection each time: the sync workers race to accept it, and which one
            # wins is up to the kernel; go on until each has answered some.
            nonlocal hits
            for _ in range(10):
                assert requests.get(f"http://127.0.0.1:{web_port}/healthz", timeout=5).ok
                hits += 1
            files = {path.name for path in metrics.glob("histogram_*.db")}
            return len(files) == 2 and hits >= HITS

        wait_until(both_workers_counted, timeout=60, interval=0, what="both workers' requests")

        shutil.copy(ALERTS, tmp_path / "alerts.yml")
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "rule_files: [alerts.yml]\n"
            "scrape_configs:\n"
            "  - job_name: case-tracker\n"
            f"    static_configs: [{{targets: ['127.0.0.1:{web_port}']}}]\n",
            encoding="utf-8",
        )
        port = free_port()
        procs.spawn(
            "prometheus",
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
        )
        api = f"http://127.0.0.1:{port}/api/v1"
        query = 'sum(tracker_http_request_duration_seconds_count{endpoint="operations.healthz"})'

        def counted() -> float | None:
            try:
                result = requests.get(f"{api}/query", params={"query": query}, timeout=5).json()
            except (requests.RequestException, ValueError):
                return None
            values = result.get("data", {}).get("result", [])
            return float(values[0]["value"][1]) if values else None

        # The requests sent, plus the start-up check's that answered: both workers' counts.
        value = wait_until(counted, timeout=60, what="prometheus to scrape /metrics")
        assert value >= hits
        up = requests.get(f"{api}/query", params={"query": "up"}, timeout=5).json()
        assert up["data"]["result"][0]["value"][1] == "1"
        rules = requests.get(f"{api}/rules", timeout=5).json()["data"]["groups"]
        assert [group["name"] for group in rules] == ["case-tracker"]
    finally:
        procs.close()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False
