"""The baseline of the Mitake and LINE dispatch figures: their clients alone, no database.

``python -m bench.reach_baseline --channel mitake|line --count N --base URL [--threads 8]
[--start-at EPOCH]``: the very clients the workers use (``MitakeSms``, ``LinePush``) send N
messages to the stand-in from as many threads as the Dispatcher uses per batch, each message
with a notice's own dedupe key (so Mitake's ``clientid`` and LINE's retry key are real). Prints
one JSON line: start, end (epoch s), sent and tried. Two of these processes side by side are the
baseline of two worker processes.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor

from notifications.channels import LinePush, MitakeSms
from tests.support.line_standin import ACCESS_TOKEN
from tests.support.mitake_standin import PASSWORD, USERNAME

TEXT = "【三民區公所】案號20261207-0001逾期：案件審核中；進度收件，預計2026-12-10完成。"


def main() -> None:
    """Send, then print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channel", choices=("mitake", "line"), required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--base", required=True, help="MITAKE_API_BASE or LINE_API_BASE")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--offset", type=int, default=0, help="first message number")
    parser.add_argument("--start-at", type=float, default=0.0, help="epoch second to start at")
    args = parser.parse_args()
    mitake = MitakeSms(USERNAME, PASSWORD, api_base=args.base)
    line = LinePush(ACCESS_TOKEN, api_base=args.base)

    def send(i: int) -> bool:
        key = f"{i}:overdue:2026-12-07T16:00:00+00:00:{args.channel}"
        try:
            if args.channel == "mitake":
                mitake.send_sms(f"+8869{i:08d}", TEXT, reference=str(i), dedupe_key=key)
            else:
                line.push_line(f"U{i:032x}", TEXT, reference=str(i), dedupe_key=key)
        except Exception:  # counted, not fatal: the figure says how many went through
            return False
        return True

    numbers = range(args.offset, args.offset + args.count)
    while time.time() < args.start_at:  # both senders start together
        time.sleep(0.001)
    start = time.time()
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        results = list(pool.map(send, numbers))
    end = time.time()
    print(json.dumps({"start": start, "end": end, "sent": sum(results), "tried": len(results)}))


if __name__ == "__main__":
    main()
