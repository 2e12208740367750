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


def sms_held_until(
    channel: str,
    status: str,
    not_before: datetime,
    now: datetime,
    quiet: tuple[time, time] | None,
) -> datetime | None:
    """When a notice waiting to go out (``pending``) will leave because quiet hours hold it:
    an SMS written during them, or one dispatch already held (its ``not_before`` moved to their
    end). None for anything quiet hours do not hold, to show the clerk why an SMS waits."""
    if channel != "sms" or status != "pending" or quiet is None:
        return None
    until = quiet_until(max(now, not_before), quiet)
    if until is not None:
        return until
    # Dispatch holds an SMS by moving it to the end of quiet hours, to the minute.
    local = not_before.astimezone(TAIPEI)
    held = local.time() == quiet[1] and not_before > now
    return not_before if held else None
