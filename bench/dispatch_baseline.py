"""The dispatch figure's baseline: the workers' own clients sending, without the database.

``python -m bench.dispatch_baseline --sms N --email N --texts FILE --twilio-base URL --smtp-url
URL [--threads 8] [--start-at EPOCH]``: the same SDK and SMTP client the workers use
(``TwilioSms``, ``SmtpEmail``), from as many threads as the Dispatcher uses per batch, SMS and
email interleaved in the outbox's mix. Prints one JSON line: start, end (epoch s) and counts.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from notifications.channels import SmtpEmail, TwilioSms
from tests.support.processes import MAIL_FROM, TWILIO_FROM
from tests.support.twilio_standin import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN


def main() -> None:
    """Send, then print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("--sms", "--email"):
        parser.add_argument(name, type=int, required=True)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--twilio-base", required=True)
    parser.add_argument("--smtp-url", required=True)
    parser.add_argument("--texts", type=Path, required=True, help="JSON: sms, subject, text, html")
    parser.add_argument("--start-at", type=float, default=0.0, help="epoch second to start at")
    args = parser.parse_args()
    sms = TwilioSms(
        DEFAULT_ACCOUNT_SID,
        DEFAULT_AUTH_TOKEN,
        from_number=TWILIO_FROM,
        status_callback="http://127.0.0.1:9/webhooks/twilio/status",
        api_base=args.twilio_base,
    )
    email = SmtpEmail(args.smtp_url, MAIL_FROM)
    texts = json.loads(args.texts.read_text())
    total = args.sms + args.email
    kinds = [
        "email" if (i + 1) * args.email // total > i * args.email // total else "sms"
        for i in range(total)
    ]

    def send(job: tuple[int, str]) -> bool:
        i, kind = job
        try:
            if kind == "sms":
                sms.send_sms(f"+8869{i:08d}", texts["sms"], reference=str(i))
            else:
                email.send_email(
                    f"applicant{i}@mail.example",
                    texts["subject"],
                    texts["text"],
                    texts["html"],
                    reference=str(i),
                )
        except Exception:  # counted, not fatal: the figure says how many went through
            return False
        return True

    while time.time() < args.start_at:  # both senders start together
        time.sleep(0.001)
    start = time.time()
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        results = list(pool.map(send, enumerate(kinds)))
    end = time.time()
    print(json.dumps({"start": start, "end": end, "sent": sum(results), "tried": len(results)}))


if __name__ == "__main__":
    main()
