"""Run every benchmark script in turn and write BENCHMARKS.md from their sections (``bench/run``).

Each step's section, figures (bench/summary.py) and log are kept under ``build/bench/<size>/``;
the document is a summary table of every headline figure, then the sections in order. A step
that fails shows as failed with the end of its log, the others still run, and the runner exits
with 1.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run from the checkout

from bench import summary  # noqa: E402 - needs the path above
from bench.common import machine  # noqa: E402

LOG_TAIL = 30
QUICK_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/tracker_bench_quick"


@dataclass(frozen=True)
class Step:
    """One benchmark script: its arguments at full size and the smaller ones of ``--quick``."""

    name: str
    title: str
    argv: str
    quick: str = ""

    def command(self, quick: bool) -> list[str]:
        """The command line, with the quick arguments when asked."""
        return [sys.executable, *self.argv.split(), *(self.quick.split() if quick else ())]


STEPS = (
    Step("deadlines", "Deadline engine", "bench/deadlines.py"),
    Step(
        "core",
        "Core figures: filing, the due-before-T plan, closure re-timing",
        "bench/core.py",
        "--cases 100000 --filings 300 --warmup 100",
    ),
    Step(
        "workers",
        "Workers: sweep tick, dispatch, due-to-provider latency, memory",
        "bench/workers.py",
        # The small database holds a tenth of --cases, about 15% of them running and not yet
        # due: 1,000 of its 10,000 can be made due, as 10,000 of 100,000 at full size.
        "--cases 100000 --due 1000 --ticks 50 --notices 5000 --latency-cases 2000 --wait-quiet 60",
    ),
    Step(
        "web_status",
        "Citizen status page against a bare Flask app",
        "bench/web_status.py",
        "--cases 100000 --duration 5 --wait-quiet 60",
    ),
    Step("web_reports", "Reports page", "bench/web_reports.py", "--cases 100000"),
    Step("web_agency", "Agency view", "bench/web_agency.py", "--cases 100000 --wait-quiet 60"),
    Step("faults", "Fault injection", "bench/faults.py", "--cases 1000 --wait-quiet 60"),
    Step(
        "reach",
        "Reach: Mitake and LINE dispatch, /metrics",
        "bench/reach.py",
        "--cases 100000 --notices 4000 --scrapes 100",
    ),
)

INTRO = """\
# Benchmarks

Written by `bench/run` (see `bench/README.md`): every figure below was measured by a script in
`bench/` on the machine and with the command stated in its section, with a baseline measured in
the same run where it has one: compare the ratios, not the milliseconds, across machines. This
machine has 2 cores, so seconds vary by some tens of percent between runs; each figure is the
median of at least three runs, with their min–max.
"""


def main() -> None:
    """Run the chosen steps, then compose the document."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a look in minutes")
    parser.add_argument(
        "--only", choices=[s.name for s in STEPS], action="append", help="run only this step"
    )
    parser.add_argument("--reseed", action="store_true", help="seed every database again")
    parser.add_argument("--output", type=Path, help="the document (default: see --quick)")
    args = parser.parse_args()
    size = "quick" if args.quick else "full"
    work = ROOT / "build" / "bench" / size
    work.mkdir(parents=True, exist_ok=True)
    # A quick run never overwrites the real figures.
    output = args.output or (work / "BENCHMARKS.md" if args.quick else ROOT / "BENCHMARKS.md")
    chosen = [s for s in STEPS if not args.only or s.name in args.only]
    started = time.monotonic()
    failed = []
    for number, step in enumerate(chosen, start=1):
        if not run_step(step, number, len(chosen), work, args):
            failed.append(step.name)
    command = " ".join(["bench/run", *sys.argv[1:]])
    output.write_text(compose(work, command, time.monotonic() - started), encoding="utf-8")
    log(f"wrote {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    if failed:
        log(f"FAILED: {', '.join(failed)} (their logs are in {work})")
        sys.exit(1)


def run_step(step: Step, number: int, total: int, work: Path, args: argparse.Namespace) -> bool:
    """Run one script, its progress shown as it comes; keep its section, figures and log."""
    section, figures, log_path = (work / f"{step.name}{ext}" for ext in (".md", ".jsonl", ".log"))
    figures.unlink(missing_ok=True)
    command = step.command(args.quick) + (
        ["--reseed"] if args.reseed and step.name != "deadlines" else []
    )
    env = {**os.environ, summary.SUMMARY_ENV: str(figures)}
    if args.quick:  # databases of their own: a quick run never spoils the full seed
        env.setdefault("BENCH_DATABASE_URL", QUICK_DATABASE)
    started = time.monotonic()
    log(f"[{number}/{total} {step.name}] {' '.join(command[1:])}")
    with section.with_suffix(".tmp").open("w") as out, log_path.open("w") as log_file:
        child = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.PIPE, text=True
        )
        assert child.stderr is not None
        for line in child.stderr:
            log_file.write(line)
            elapsed = _clock(time.monotonic() - started)
            log(f"[{number}/{total} {step.name} {elapsed}] {line.rstrip()}")
        code = child.wait()
    if code == 0:
        section.with_suffix(".tmp").replace(section)
        log(f"[{number}/{total} {step.name}] done in {_clock(time.monotonic() - started)}")
        return True
    tail = log_path.read_text().splitlines()[-LOG_TAIL:]
    section.write_text(
        f"## {step.title}: FAILED on {date.today().isoformat()}\n\n"
        f"`{' '.join(command[1:])}` exited with {code}; the end of its log:\n\n"
        "```\n" + "\n".join(tail) + "\n```\n"
    )
    figures.unlink(missing_ok=True)
    log(f"[{number}/{total} {step.name}] FAILED with exit code {code}")
    return False


def compose(work: Path, command: str, seconds: float) -> str:
    """The document: the introduction, the summary table, each step's section in order."""
    parts = [INTRO]
    parts.append(
        f"- written: {date.today().isoformat()} by `{command}` ({_clock(seconds)} for the steps "
        f"run this time; each section gives its own date and command)\n- machine: {machine()}\n"
    )
    rows = [f for step in STEPS for f in summary.read(work / f"{step.name}.jsonl")]
    if rows:
        parts.append(
            "| issue | figure | target | median (min–max) | runs | vs target "
            "| ratio to baseline |\n|---|---|---|---:|---:|---|---|\n"
            + "".join(_row(f) for f in rows)
        )
    missing = [s.title for s in STEPS if not (work / f"{s.name}.md").exists()]
    if missing:
        parts.append("Not measured yet: " + "; ".join(missing) + ".\n")
    for step in STEPS:
        path = work / f"{step.name}.md"
        if path.exists():
            parts.append(path.read_text(encoding="utf-8").strip() + "\n")
    return "\n".join(parts)


def _row(f: summary.Figure) -> str:
    whole = all(v.is_integer() for v in f.values)  # counts
    digits = 0 if whole or f.median >= 100 else (1 if f.median >= 10 else 2)
    spread = (
        f"{f.median:,.{digits}f} ({min(f.values):,.{digits}f}–{max(f.values):,.{digits}f}) {f.unit}"
    )
    verdict = {True: "meets", False: "**misses**", None: "—"}[f.meets]
    ratio = f"{f.ratio:.3g} × {f.baseline}" if f.ratio is not None else "—"
    cells = (f.issue, f.name, f.target, spread, str(len(f.values)), verdict, ratio)
    return "| " + " | ".join(cells) + " |\n"


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s"


def log(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
