"""Files that hold personal data are the owner's alone: the data folder 0700, the SQLite
database 0600.

SQLite creates a new database file 0644 (less the umask) and gives its ``-wal`` and ``-shm``
files the mode of the database file, so creating the empty database file 0600 first makes all
three private. Existing files and folders are left as they are (``chmod`` them once).
"""

import os
from pathlib import Path


def private_dir(path: Path) -> None:
    """Create ``path`` (and its parents) readable by the owner only, if it is missing."""
    if not path.exists():
        path.mkdir(mode=0o700, parents=True)
        # mkdir's mode is reduced by the umask, never widened: set it exactly.
        path.chmod(0o700)


def private_sqlite_file(name: str) -> None:
    """Create the empty SQLite database ``name`` with mode 0600 unless it exists (an empty file
    is an empty database). In-memory databases (":memory:", "file:…") have no file."""
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    private_dir(path.parent)
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(descriptor)
