"""Where a process tree's time goes, from py-spy: record it during a run, summarise its stacks.

``recording(pid, folder, modes)`` runs one ``py-spy record --subprocesses --nonblocking`` per
mode (``cpu``: samples where a thread ran; ``idle``: every thread, waiting included; ``gil``:
the thread holding the GIL) over the block and leaves their collapsed stacks in ``folder``.
``summarise`` turns such a file into markdown: shares by kind of work (the innermost frame's
file) and by function (inclusive), counting only the samples inside a given frame.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

_LINE = re.compile(r":\d+\)$")
# Frames every sending thread has: they say nothing about where its time goes.
_GENERIC = ("(threading.py)", "(concurrent/futures/thread.py)")
_MODES = {"cpu": [], "idle": ["--idle"], "gil": ["--gil"]}


def py_spy() -> str:
    """The venv's py-spy (bench/run checks that it is there)."""
    return str(Path(sys.executable).parent / "py-spy")


@contextmanager
def recording(
    pid: int, folder: Path, modes: Sequence[str], rate: int = 100
) -> Iterator[dict[str, Path]]:
    """py-spy over ``pid`` and its children for the block; the raw output file per mode."""
    outputs = {mode: folder / f"py-spy-{mode}.txt" for mode in modes}
    spies = [
        subprocess.Popen(
            [
                py_spy(),
                *("record", "--pid", str(pid), "--subprocesses", "--nonblocking"),
                *("--rate", str(rate), "--format", "raw", "--output", str(path)),
                *_MODES[mode],
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for mode, path in outputs.items()
    ]
    try:
        time.sleep(2)  # py-spy attaches
        yield outputs
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        for spy in spies:
            spy.wait(timeout=60)


def _short(frame: str, root: str) -> str:
    """``send_sms (notifications/channels/twilio_sms.py)``: the line dropped, paths shortened."""
    frame = _LINE.sub(")", frame)
    for marker in ("site-packages/", "/lib/python3.11/", root + "/"):
        if marker in frame:
            head, _, tail = frame.partition("(")
            return f"{head}({tail.split(marker, 1)[1]}"
    return frame


def summarise(
    raw: Path,
    *,
    within: str | None = None,
    categories: Sequence[tuple[str, str]] = (),
    other: str = "the rest",
    top: int = 25,
    own: bool = False,
    min_processes: int = 0,
) -> str:
    """Shares of the samples (inside the frame ``within``, if given): by kind of work
    (``categories``: file marker → kind, for the innermost frame), and the ``top`` functions,
    inclusive (and by their own samples, the innermost frame, with ``own``)."""
    root = str(Path(__file__).resolve().parents[1])
    total = inside = 0
    kinds: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    owned: dict[str, int] = {}
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = stack.split(";")
        # With --subprocesses each stack starts with its process chain (a parent's own stacks
        # have fewer process frames than its workers').
        if sum(f.startswith("process ") for f in frames) < min_processes:
            continue
        count = int(count_text)
        total += count
        start = next(
            (i for i, f in enumerate(frames) if within and f.startswith(within + " (")), None
        )
        if within and start is None:
            continue
        start = start or 0
        inside += count
        below = [_short(f, root) for f in frames[start + 1 :] if _LINE.search(f)]
        below = [f for f in below if not f.endswith(_GENERIC)]
        leaf = below[-1] if below else frames[start]
        kind = next((k for marker, k in categories if marker in leaf), other)
        kinds[kind] = kinds.get(kind, 0) + count
        owned[leaf] = owned.get(leaf, 0) + count
        for function in set(below):
            inclusive[function] = inclusive.get(function, 0) + count
    if not inside:
        return "py-spy recorded no samples there\n"
    lines = [
        f"{total:,} samples" + (f", {inside / total:.0%} inside `{within}`." if within else "."),
        "",
    ]
    if categories:
        lines += ["| kind of work (innermost frame) | share |", "|---|---:|"]
        ranked = sorted(kinds.items(), key=lambda kv: -kv[1])
        lines += [f"| {kind} | {count / inside:.0%} |" for kind, count in ranked]
        lines.append("")
    for title, table in (("inclusive", inclusive), ("own", owned if own else {})):
        if top and table:
            lines += [f"| function, {title} | share |", "|---|---:|"]
            ranked = sorted(table.items(), key=lambda kv: -kv[1])[:top]
            lines += [f"| `{function}` | {count / inside:.0%} |" for function, count in ranked]
            lines.append("")
    return "\n".join(lines)
