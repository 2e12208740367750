"""What the Mitake and LINE stand-ins share: a threaded HTTP server on loopback, and faults.

A stand-in is a real HTTP server in a background thread (or its own process, run with
``python -m``), answering as the vendor documents. Faults are chosen per request, in order:

- ``script(...)``: the next answers, in order (``Fault("error", ...)``, ``Fault.timeout()``,
  ``Fault.accepted_too_late()``);
- ``set_failure_rates(server_error=p, timeout=q, timeout_accepted=r, seed=s)``: a share of the
  calls fails at random from a seeded RNG (a run can be repeated); ``timeout_accepted`` is the
  share of the timeouts where the message was accepted first and only the answer came too late.

A timeout is an answer that sleeps past the client's timeout (``timeout_seconds``), cut short
when the stand-in stops. Each vendor's module says what an error looks like on its wire.
"""

from __future__ import annotations

import random
import socket
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Fault:
    """One answer given instead of the normal one.

    ``kind``: ``error`` (answer with ``code``), ``timeout`` (answer nothing in time, message not
    taken) or ``late`` (take the message, answer after the client gave up). ``code`` is the
    vendor's: Mitake's ``statuscode`` or HTTP status, LINE's HTTP status.
    """

    kind: str
    code: str = ""
    delay: float = -1.0  # negative: the stand-in's timeout_seconds

    @classmethod
    def timeout(cls) -> Fault:
        """An answer that comes too late, the message not taken."""
        return cls("timeout")

    @classmethod
    def accepted_too_late(cls) -> Fault:
        """The message is taken, but the answer comes after the client timed out."""
        return cls("late")


class FaultPlan:
    """Scripted and random faults, thread-safe."""

    def __init__(self, seed: int = 0) -> None:
        self.lock = threading.Lock()
        self._script: deque[Fault] = deque()
        self._server_error = self._timeout = self._timeout_accepted = 0.0
        self._rng = random.Random(seed)

    def script(self, *faults: Fault) -> None:
        """Give these answers to the next calls, in order."""
        with self.lock:
            self._script.extend(faults)

    def set_failure_rates(
        self,
        *,
        server_error: float = 0.0,
        timeout: float = 0.0,
        timeout_accepted: float = 0.0,
        seed: int | None = None,
    ) -> None:
        """Fail this share of calls with a server error, and this share by answering late."""
        if not (0 <= server_error <= 1 and 0 <= timeout <= 1 and server_error + timeout <= 1):
            raise ValueError("rates are shares between 0 and 1, together at most 1")
        if not 0 <= timeout_accepted <= 1:
            raise ValueError("timeout_accepted is a share between 0 and 1")
        with self.lock:
            self._server_error, self._timeout = server_error, timeout
            self._timeout_accepted = timeout_accepted
            if seed is not None:
                self._rng.seed(seed)

    def clear(self) -> None:
        """No more scripted or random faults."""
        with self.lock:
            self._script.clear()
            self._server_error = self._timeout = self._timeout_accepted = 0.0

    def next(self, server_error: Fault) -> Fault | None:
        """The fault for this call, if any (``server_error`` is the vendor's 5xx answer)."""
        with self.lock:
            if self._script:
                return self._script.popleft()
            draw = self._rng.random()
            if draw < self._server_error:
                return server_error
            if draw < self._server_error + self._timeout:
                late = self._rng.random() < self._timeout_accepted
                return Fault.accepted_too_late() if late else Fault.timeout()
        return None


class StandinServer:
    """A ThreadingHTTPServer in a background thread, with a stop that cuts sleeps short."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str, port: int) -> None:
        self.stopping = threading.Event()
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port it listens on (chosen by the system when 0 was asked)."""
        return int(self.server.server_address[1])

    def start(self, name: str) -> None:
        """Serve in a background thread (a short poll makes stop() quick)."""
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=name,
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving; answers still sleeping are cut short."""
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def serve_in_foreground(self) -> None:
        """Serve until interrupted (``python -m``)."""
        try:
            self.server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self.server.server_close()


class Standin:
    """What every stand-in offers: its server in a thread, a context manager, and faults.

    A subclass sets ``self.faults`` and ``self.http`` in its ``__init__`` and names its thread.
    """

    thread_name = "standin"
    faults: FaultPlan
    http: StandinServer

    def start(self) -> Standin:
        """Serve in a background thread."""
        self.http.start(self.thread_name)
        return self

    def stop(self) -> None:
        """Stop serving; answers still sleeping are cut short."""
        self.http.stop()

    def __enter__(self) -> Standin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, *faults: Fault) -> None:
        """Give these answers to the next calls, in order."""
        self.faults.script(*faults)

    def set_failure_rates(self, **rates: Any) -> None:
        """Fail a share of calls (see FaultPlan.set_failure_rates)."""
        self.faults.set_failure_rates(**rates)


class QuietHandler(BaseHTTPRequestHandler):
    """Keep-alive, no Nagle delay, no stderr log; answers that survive a client gone."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the vendors' clients expect
    timeout = 15  # an idle kept-alive connection ends rather than holding a thread

    def setup(self) -> None:
        """Send small answers at once: Nagle's wait would add 40 ms to every call."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read what the stand-in recorded, not stderr."""

    def read_body(self) -> bytes:
        """The request body."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def answer(
        self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        """Answer, quietly if the client has gone (a timeout we injected)."""
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
