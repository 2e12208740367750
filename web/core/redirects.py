"""Where a ``next`` parameter may send the reader: a path on this site, nothing else."""

from __future__ import annotations

from urllib.parse import urlsplit


def local_path(target: str | None, *, within: str = "/") -> str | None:
    """``target`` when it is a path of this site under ``within``, else None (the caller's
    safe default).

    Refused: another host or scheme (``//evil``, ``https://evil``), a backslash (browsers read
    ``/\\evil`` as ``//evil``), and any control character: a CR or LF would split the Location
    header the redirect is written into.
    """
    if not target or not target.startswith(within) or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
