"""Issue #6's fault-injection run at full size, in one command.

Run: ``.venv/bin/python bench/faults.py [--cases 10000] [--gateway mitake]``. The exit status is
1 when a notice was lost, doubled without explanation or left in an impossible state.

The scenario is tests/workers/fault_run.py, the same one the suite runs with 300 cases
(tests/workers/test_fault_injection.py): N cases fall due over a minute while two Celery worker
nodes are SIGKILLed every few seconds and started again at once, a private Redis is killed and
restarted twice, a private PostgreSQL cluster (initdb in a temporary folder, never the machine's
server) crashes once, and the Twilio stand-in fails 20% of calls with HTTP 500 and 5% with
timeouts. Process logs stay in a temporary folder named on stderr.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from the checkout

from bench import summary
from bench.common import header, log, wait_for_quiet
from tests.workers.fault_run import FaultPlan, FaultReport, fault_parts, latency_text, run_faults


def main() -> int:
    """Run the scenario; print the section; 1 if anything was lost, doubled or impossible."""
    defaults = FaultPlan()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=defaults.cases)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--gateway", choices=("twilio", "mitake"), default=defaults.gateway)
    parser.add_argument("--wait-quiet", type=float, default=120.0, help="s to wait for quiet")
    args = parser.parse_args()
    plan = FaultPlan(cases=args.cases, seed=args.seed, gateway=args.gateway)
    quiet = wait_for_quiet(args.wait_quiet)
    directory = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    log(f"faults: logs in {directory}")
    started = time.perf_counter()
    with fault_parts(directory, args.gateway) as parts:
        report = run_faults(
            plan, database=parts.database, postgres=parts.postgres, redis_server=parts.redis,
            standin=parts.standin, processes=parts.processes, progress=log,
        )  # fmt: skip
    log(report.summary())
    print_section(plan, report, quiet, started)
    bad = report.lost or report.unexplained or report.impossible or report.errors
    return 1 if bad or report.unexplained_exits else 0


def print_section(plan: FaultPlan, report: FaultReport, quiet: str, started: float) -> None:
    """The markdown section for BENCHMARKS.md."""
    down = ", ".join(f"{s:.1f} s" for s in report.postgres_down_seconds) or "—"
    exits = {name: codes for name, codes in report.self_exits.items() if codes}
    through = " through 三竹 Mitake" if plan.gateway == "mitake" else ""
    header(f"Fault injection{through}, {plan.cases:,} cases", started, quiet=quiet)
    print(
        f"- scenario: {plan.cases:,} cases due over {plan.window:.0f} s, {plan.lead:.0f} s after "
        f"the processes were up; {plan.workers} worker nodes (`celery -A workers worker "
        f"--concurrency 2`) SIGKILLed in turn every {plan.kill_every[0]:.0f}–"
        f"{plan.kill_every[1]:.0f} s and started again at once; Redis killed and restarted "
        f"{plan.redis_restarts}x ({plan.redis_outage:.0f} s away, back empty), a private "
        f"PostgreSQL 15 crashed {plan.postgres_restarts}x (`pg_ctl restart -m immediate`); the "
        f"{plan.gateway.title()} stand-in failing {plan.server_errors:.0%} of calls with HTTP "
        f"500 and {plan.timeouts:.0%} with timeouts ({plan.timeouts_accepted:.0%} of those after "
        f"taking the message); faults for at least {plan.fault_span:.0f} s, then until every "
        "case's SMS had reached the stand-in"
    )
    print(
        "- time lapse (tests/workers/fault_run.py): backoffs cut to the next dispatch tick and "
        f"claims stuck over {plan.stuck_after:.0f} s re-queued by the product's requeue_stuck, "
        "instead of waiting out 15 s–1 h and 2 min"
    )
    print()
    run = f"{report.cases:,} cases due under faults, one run"
    for name, count in (
        ("overdue notices lost", len(report.lost)),
        ("duplicate sends unexplained", len(report.unexplained)),
        ("cases in an impossible state", len(report.impossible)),
    ):
        summary.record("#6", f"{name}, {run}", [count], "", target="0", meets=count == 0)
    print("| figure | value |")
    print("|---|---:|")
    rows = [
        ("cases", f"{report.cases:,}"),
        ("overdue SMS notices written by the sweeps", f"{report.overdue_written:,}"),
        ("cases whose overdue SMS reached the stand-in", f"{report.overdue_sent:,}"),
        ("**lost**", f"**{len(report.lost):,}**"),
        (
            "**duplicates** (extra acceptances; unexplained)",
            f"**{report.duplicate_count:,}** ({len(report.unexplained):,})",
        ),
        ("**impossible states**", f"**{len(report.impossible):,}**"),
        ("worker kills (SIGKILL, whole node)", f"{report.kills:,} {report.kills_by_node}"),
        (
            "exits not caused by a kill (of them the kombu reconnect bug; unexplained)",
            f"{exits or 0} ({sum(report.known_exits.values())}; "
            f"{sum(report.unexplained_exits.values())})",
        ),
        ("Redis restarts", f"{report.redis_restarts}"),
        ("PostgreSQL crash-restarts (time away)", f"{report.postgres_restarts} ({down})"),
        ("provider calls / accepted", f"{report.provider_calls:,} / {report.provider_accepted:,}"),
        ("provider HTTP 500 injected", f"{report.provider_5xx:,}"),
        (
            "provider timeouts injected (message taken first)",
            f"{report.provider_timeouts:,} ({report.provider_timeouts_accepted:,})",
        ),
        ("message-list lookups before a resend", f"{report.lookups:,}"),
        ("resends the gateway refused as repeats (its clientid)", f"{report.repeats_refused:,}"),
        (
            "time lapse: backoffs cut / claims aged / re-queued",
            f"{report.hurried:,} / {report.aged:,} / {report.requeued:,}",
        ),
        ("overdue SMS rows by attempts", f"{dict(sorted(report.attempts.items()))}"),
        ("due instant to the stand-in's first acceptance", latency_text(report)),
        ("wall time: filing / faults / drain / total", _durations(report)),
    ]
    for name, value in rows:
        print(f"| {name} | {value} |")
    print()
    if report.duplicates:
        print("Duplicates, each from the stand-in's records, the kills and the lookups:")
        print()
        for duplicate in report.duplicates:
            kind = "known window" if duplicate.explained else "UNEXPLAINED"
            print(f"- {kind}: {duplicate.story}")
        print()
    else:
        print(
            "No duplicates: every SMS whose earlier attempt may have reached the stand-in (a "
            "timeout, a worker killed mid-send, PostgreSQL gone before `sent` was committed) was "
            + (
                "sent again with the same `clientid`, which the gateway answered without sending."
                if plan.gateway == "mitake"
                else "looked up in the message list before it was sent again."
            )
        )
        print()
    for title, items in (
        ("Lost", report.lost),
        ("Impossible states", report.impossible),
        ("Errors of the fault threads", report.errors),
    ):
        if items:
            print(f"{title} ({len(items)}):")
            print()
            for item in items[:50]:
                print(f"- {item}")
            print()


def _durations(report: FaultReport) -> str:
    return (
        f"{report.setup_seconds:,.0f} s / {report.fault_seconds:,.0f} s / "
        f"{report.drain_seconds:,.0f} s / {report.total_seconds:,.0f} s"
    )


if __name__ == "__main__":
    sys.exit(main())
