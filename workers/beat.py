"""Beat's scheduler: celery-redbeat, made to ride out a Redis outage.

redbeat keeps the one-active-beat lock and the schedule in Redis. Out of the box, a Redis outage
ends the beat process (extending the lock raises), and a Redis that comes back empty has lost both
the lock and the schedule. This scheduler waits instead, takes the lock again when Redis returns
(unless another beat got there first: then it stands by), and writes the schedule back.
"""

from __future__ import annotations

import logging
from typing import Any

from redbeat import RedBeatScheduler
from redbeat.schedulers import LUA_EXTEND_TO_SCRIPT, get_redis
from redis.exceptions import LockError, RedisError

log = logging.getLogger(__name__)

RETRY_SECONDS = 2.0


class ResilientRedBeatScheduler(RedBeatScheduler):  # type: ignore[misc]
    """RedBeatScheduler that survives Redis going away and coming back empty."""

    _lost = False

    def tick(self, *args: Any, **kwargs: Any) -> float:
        """One beat tick; while Redis is away, wait and try again instead of exiting."""
        try:
            if (self._lost or self.lock is None) and self.lock_key and not self._recover():
                return RETRY_SECONDS
            return float(super().tick(*args, **kwargs))
        except (RedisError, LockError) as exc:
            if not self._lost:
                log.warning(
                    "beat: Redis unavailable or lock lost (%s); retrying every %.0f s",
                    type(exc).__name__,
                    RETRY_SECONDS,
                )
            self._lost = True
            return RETRY_SECONDS

    def _recover(self) -> bool:
        """Hold the lock again and restore the schedule; False while another beat is active."""
        if self.lock is None:
            client = get_redis(self.app)
            self.lock = client.lock(
                self.lock_key, timeout=self.lock_timeout, sleep=self.max_interval
            )
            # redbeat's own extend script sets a new timeout instead of adding to the old one.
            self.lock.lua_extend = client.register_script(LUA_EXTEND_TO_SCRIPT)
        if not self.lock.owned() and not self.lock.acquire(blocking=False):
            return False
        # A Redis that restarted empty has forgotten the schedule: write it back.
        self.setup_schedule()
        if self._lost:
            log.info("beat: Redis is back; lock held and schedule restored")
        self._lost = False
        return True
