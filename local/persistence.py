"""The local cloud's state on disk, so that `make dev` resumes where it stopped.

moto keeps each service's state in its backends; they are pickled whole, as other moto-based
emulators persist them, with a reducer for the two kinds of object pickle refuses (locks, which
are made anew, and RSA keys, which travel as PEM). What lives outside moto travels with them:
`extras`, a plain dict the cloud supplies (stream mappings' checkpoints, the seeded users).

A snapshot is written while anything changes, at most every `SNAPSHOT_SECONDS`, and once more
on a clean stop: to a temporary file, flushed to disk, then renamed over the last one, so a
`kill -9` at any moment leaves the previous snapshot or the new one, never a torn file. What a
`kill -9` can lose is what changed since the last snapshot: at most `SNAPSHOT_SECONDS` plus the
time one snapshot takes to write.

Changes are counted where every moto request passes (`BaseResponse.call_action`: any action
but reads), plus `touch()` for what changes moto's state without a request (TTL expiry).
"""

import io
import logging
import os
import pickle
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.backends import get_backend
from moto.core.responses import BaseResponse

from .moto_glue import DYNAMODB_LOCK

SERVICES = ("dynamodb", "sqs", "cognito-idp", "iam", "stepfunctions")
"""The services whose state the local cloud keeps: what the stack's resources live in."""
SNAPSHOT_SECONDS = 0.5
FORMAT = 1
"""Bumped when what a snapshot holds changes shape; an older snapshot is set aside, not read."""
READ_ACTIONS = ("Get", "Describe", "List", "Query", "Scan", "BatchGet", "TransactGet")
_RETRIES = 3

log = logging.getLogger("local.persistence")
_changes = [0]
_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))


def touch() -> None:
    """Counts a change made to moto's state without a request."""
    _changes[0] += 1


@contextmanager
def counting_changes() -> Iterator[None]:
    """Every mutating moto action counts as a change while the block runs."""
    original = BaseResponse.call_action

    def call_action(response: BaseResponse) -> Any:
        answer = original(response)
        if not str(response._get_action()).startswith(READ_ACTIONS):
            _changes[0] += 1
        return answer

    with mock.patch.object(BaseResponse, "call_action", call_action):
        yield


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _LOCK_TYPES):
            return type(obj), ()
        if isinstance(obj, rsa.RSAPrivateKey):
            pem = obj.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            return _private_key, (pem,)
        return NotImplemented


def _private_key(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


class Snapshots:
    """The snapshot file of one project's local cloud."""

    def __init__(self, path: Path, extras: Callable[[], dict[str, Any]]) -> None:
        self.path = path
        self._extras = extras
        self._saved: tuple[int, dict[str, Any]] | None = None

    def load(self) -> dict[str, Any] | None:
        """Puts the saved services back into moto; the saved extras, or None without a
        snapshot (or with one this version cannot read, which is set aside)."""
        if not self.path.exists():
            return None
        try:
            with self.path.open("rb") as file:
                saved = pickle.load(file)
            if saved.get("format") != FORMAT:
                raise ValueError(f"snapshot format {saved.get('format')}, not {FORMAT}")
        except Exception as error:  # any unreadable snapshot is set aside, never half-read
            aside = self.path.with_suffix(".unreadable")
            os.replace(self.path, aside)
            log.warning("the saved state could not be read (%s); set aside as %s", error, aside)
            return None
        for service, accounts in saved["services"].items():
            backends = get_backend(service)
            backends.clear()
            backends.update(pickle.loads(accounts))
        self._saved = (_changes[0], saved["extras"])
        return saved["extras"]

    def save(self) -> None:
        """Writes a snapshot of the services and the extras, atomically."""
        changes, extras = _changes[0], self._extras()
        snapshot = _pickled({"format": FORMAT, "services": _services(), "extras": extras})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        with temporary.open("wb") as file:
            file.write(snapshot)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)
        self._saved = (changes, extras)

    def pump(self) -> float:
        """Saves if anything changed since the last snapshot; the wait until the next look."""
        if self._saved is None or self._saved != (_changes[0], self._extras()):
            for attempt in range(_RETRIES):
                try:
                    self.save()
                    break
                except RuntimeError as error:  # a dict changed size while it was pickled
                    log.debug("snapshot attempt %d raced a write: %s", attempt + 1, error)
        return SNAPSHOT_SECONDS


def _services() -> dict[str, bytes]:
    """Each kept service's accounts, pickled (DynamoDB's under the lock its writers take)."""
    services = {}
    for service in SERVICES:
        backends = get_backend(service)
        if service == "dynamodb":
            with DYNAMODB_LOCK:
                services[service] = _pickled(dict(backends))
        else:
            services[service] = _pickled(dict(backends))
    return services


def _pickled(value: Any) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()
