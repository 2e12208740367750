"""The instance folder and what the demo keeps in it, readable by their owner only.

The demo's SQLite file holds applicants' names and phone numbers, and its secret key signs every
session: on a shared machine neither may be readable by other accounts. Modes are set as each
is created (never created open and narrowed later), and narrowed again on each start in case an
older version or a copy left them open.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a key


def private_folder(path: Path) -> Path:
    """Create ``path`` (and its parents) if missing; the folder itself is the owner's only."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    path.chmod(FOLDER_MODE)  # mkdir's mode is filtered by the umask, and the folder may be old
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty if missing, readable by its owner only (an empty SQLite file is a
    valid empty database, so SQLite opens it rather than creating its own with the umask).

    A missing folder is created private; an existing one is left as it is: a DATABASE_URL may
    point into a shared folder such as /tmp, whose mode is not ours to change.
    """
    path.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    path.chmod(FILE_MODE)
    return path


def demo_secret_key(instance_path: Path) -> str:
    """The demo's own random key, made on its first run and reused after (sessions survive)."""
    key_file = private_folder(instance_path) / SECRET_KEY_FILE
    if key_file.exists():
        key_file.chmod(FILE_MODE)
        return key_file.read_text(encoding="ascii").strip()
    key = secrets.token_urlsafe(48)
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(key)
    return key
