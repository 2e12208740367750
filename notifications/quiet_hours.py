"""SMS quiet hours (default 21:00–09:00 Taipei): messages wait for the morning."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from tracker.deadlines.timezones import TAIPEI


def quiet_until(now: datetime, quiet: tuple[time, time] | None) -> datetime | None:
    """The instant quiet hours end if ``now`` is inside them, else None."""
    if quiet is None:
        return None
    start, end = quiet
    local = now.astimezone(TAIPEI)
    clock = local.time()
    # A window like 21:00-09:00 spans midnight.
    inside = start <= clock < end if start < end else clock >= start or clock < end
    if not inside:
        return None
    ends = datetime.combine(local.date(), end, tzinfo=TAIPEI)
    if ends <= local:
        ends += timedelta(days=1)
    return ends
