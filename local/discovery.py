"""How a running local cloud is found: `.slate/local.json` in the project directory, written
once it is ready and removed when it stops, and `.slate/lock`, held for as long as it runs (the
kernel drops the lock when the process dies, even by `kill -9`), which is how a discovery file
left behind by a killed cloud is told from a live one."""

import fcntl
import json
import logging
from pathlib import Path
from typing import IO, Any

from local.errors import LocalError

DISCOVERY = Path(".slate") / "local.json"
LOCK = Path(".slate") / "lock"
log = logging.getLogger("local.discovery")


class AlreadyRunning(LocalError):
    """Another local cloud runs for this project directory."""


def hold_lock(directory: Path) -> IO[str]:
    """Takes `.slate/lock` for this cloud (closing the file releases it); a discovery file left
    by a cloud that is gone is removed."""
    path = directory / LOCK
    path.parent.mkdir(exist_ok=True)
    lock = path.open("a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise AlreadyRunning(
            f"a local cloud is already running for {directory} (see {directory / DISCOVERY})"
        ) from None
    if (directory / DISCOVERY).exists():
        log.warning("replacing a discovery file left by a cloud that is gone")
        (directory / DISCOVERY).unlink()
    return lock


def publish(directory: Path, discovery: dict[str, Any]) -> Path:
    path = directory / DISCOVERY
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(discovery, indent=2))
    return path


def live_discovery(directory: Path) -> dict[str, Any] | None:
    """The discovery file of the local cloud running for `directory`, or None if none runs
    (a file left by a killed cloud is never trusted: its lock is free)."""
    path, lock_path = Path(directory) / DISCOVERY, Path(directory) / LOCK
    if not path.exists() or not lock_path.exists():
        return None
    with lock_path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return json.loads(path.read_text())
        fcntl.flock(lock, fcntl.LOCK_UN)
    return None
