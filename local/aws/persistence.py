"""The local cloud's state on disk, so that `make dev` resumes where it stopped.

moto keeps each service's state in its backends; they are pickled, as other moto-based
emulators persist them (DynamoDB's items and stream records apart, a slice at a time), with a
reducer for the two kinds of object pickle refuses (locks, made anew; RSA keys, carried as
PEM). What lives outside moto travels with them: `extras`, a plain
dict the cloud supplies (stream mappings' checkpoints, the seeded users).

Writing the whole state on every change would cost more as the table grows, so the state is a
base snapshot plus a journal:

- every `SNAPSHOT_SECONDS` in which anything changed, one journal entry is appended and flushed
  to disk: the items written since the last entry (as they are now, or their absence), the
  stream records added, the small services whole (queues, user pools, roles) if they changed,
  and the extras. Its cost follows the writes, not the table.
- once the journal outgrows the base and nothing changes for 2 s (at the latest when it is
  four times the base), and when a table itself changes, a new base is written and the
  journal starts over: a cost proportional to the state, paid after at least as many bytes of
  writes. The base is taken at one point and written a slice of items at a time, each slice
  under DynamoDB's lock, so requests and their flushes go on while it is written (a base
  pickled whole held every request for as long as the tables took: over a second at 10,000
  items). What changes after that point is journaled as usual, and those entries start the
  new journal. Stream records older than DynamoDB Streams keeps them (24 h) are dropped as it
  is written, and as the state is loaded. A clean stop (`close`) writes what the next look
  would have.
- once changes are followed by 2 quiet seconds, the cloud is told (`settled`), to tidy.

Both files are replaced by rename, and the journal is framed, so a `kill -9` at any moment
leaves a readable state: the base, and every whole journal entry of its generation (or, killed
between a new base and its journal, the old journal's entries from the base's point on). A caller
about to acknowledge a change (the gateway, before it answers a mutation) `flush`es first, so a
`kill -9` loses nothing acknowledged; what changed without an acknowledgement (a background
function's writes, a mapping's place in its stream) is journaled within `SNAPSHOT_SECONDS`.
"""

import copyreg
import functools
import io
import logging
import os
import pickle
import struct
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from unittest import mock

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.backends import get_backend
from moto.core.responses import BaseResponse
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from local.aws.dynamodb.moto_patches import (
    DYNAMODB_LOCK,
    expire_stream_records,
    observing_item_writes,
    put_back,
)

DYNAMODB = "dynamodb"
WHOLE_SERVICES = ("sqs", "cognito-idp", "iam")
"""Services kept whole in each entry that follows a change to them: their state is small."""
SNAPSHOT_SECONDS = 0.5
FORMAT = 4
"""Bumped when what the files hold changes shape; an older state is set aside, not read
(but for `WHOLE_BASE_FORMAT`'s)."""
WHOLE_BASE_FORMAT = 3
"""The format before bases were written in slices (the base one pickle); still read."""
READ_ACTIONS = ("Get", "Describe", "List", "Query", "Scan", "BatchGet", "TransactGet")
ITEM_ACTIONS = {
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
    "ExecuteStatement",
    "BatchExecuteStatement",
    "ExecuteTransaction",
}
"""DynamoDB actions whose changes the journal carries item by item; any other change of
DynamoDB (a table created, updated or deleted) calls for a new base."""
MINIMUM_JOURNAL_BYTES = 1024 * 1024
JOURNAL_GROWTH_LIMIT = 4
"""How many times the base's size the journal may reach while requests keep coming."""
QUIET_SECONDS = 2.0
"""How long nothing must change before a due base is written."""
ITEMS_PER_SLICE = 250
"""Items pickled under one hold of DynamoDB's lock while a base is written (~5 ms)."""
RECORDS_PER_SLICE = 250
"""Stream records pickled at a time (~2 ms; without the lock: those before a base's point never
change)."""
_PICKLE_TRIES = 3
_FRAME = struct.Struct(">Q")
_ITEMS, _RECORDS = "items", "records"
"""What a slice of a base holds."""
_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))

log = logging.getLogger("local.aws.persistence")

Key = tuple[str, str, Any, Any]
"""(region, table name, hash key, range key) of one item, as DynamoDB JSON."""


class _Changes:
    """What changed since the last entry; written by moto's request threads."""

    def __init__(self) -> None:
        self.items: dict[Key, None] = {}
        self.services: set[str] = set()
        self.tables_changed = False

    def item(self, table: Table, hash_value: DynamoType, range_value: DynamoType | None) -> None:
        range_json = range_value.to_json() if range_value is not None else None
        self.items[
            table.region_name, table.name, _frozen(hash_value.to_json()), _frozen(range_json)
        ] = None

    def action(self, response: BaseResponse) -> None:
        service = response.service_name
        if service != DYNAMODB and service not in WHOLE_SERVICES:
            return  # before naming the action: for some services (Lambda) that costs a lot
        action = str(response._get_action())
        if action.startswith(READ_ACTIONS):
            return
        if service == DYNAMODB and action not in ITEM_ACTIONS:
            self.tables_changed = True
        elif service in WHOLE_SERVICES:
            self.services.add(service)


_changes = _Changes()


@contextmanager
def tracking_changes() -> Iterator[None]:
    """Every item write and every mutating moto action is noted while the block runs."""
    original = BaseResponse.call_action

    def call_action(response: BaseResponse) -> Any:
        answer = original(response)
        _changes.action(response)
        return answer

    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(BaseResponse, "call_action", call_action))
        stack.enter_context(observing_item_writes(_changes.item))
        yield


class Snapshots:
    """The saved state of one project's local cloud: `base.pickle` and `journal` in a folder."""

    def __init__(
        self,
        folder: Path,
        extras: Callable[[], dict[str, Any]],
        settled: Callable[[], None] = lambda: None,
    ) -> None:
        """`extras`: what to keep besides moto's state; `settled`: called when changes were
        made and then none for `QUIET_SECONDS` (a quiet moment to tidy), after anything due
        (a new base, or the journal's entry) is written."""
        self.base = folder / "base.pickle"
        self.journal = folder / "journal"
        self._extras = extras
        self._settled = settled
        self._generation = 0
        self._base_bytes = 0
        self._stream_ends: dict[tuple[str, str], int] = {}
        """Each stream's next sequence number when the journal last took its records."""
        self._saved_extras: dict[str, Any] | None = None
        self._last_change = time.monotonic()
        """When the journal or a base last took a change."""
        self._unsettled = False
        """Changes were taken since `settled` was last called."""
        self._writing = threading.Lock()
        """Held while the journal is written (an entry, or a new base's journal swapped in)."""
        self._saving = threading.Lock()
        """Held while a base is written: one at a time."""

    def discard(self) -> None:
        self.base.unlink(missing_ok=True)
        self.journal.unlink(missing_ok=True)

    def load(self) -> dict[str, Any] | None:
        """Puts the saved state back into moto; the saved extras, or None when there is no
        state (or one this version cannot read, which is set aside)."""
        if not self.base.exists():
            return None
        try:
            base, slices = _read_base(self.base)
        except Exception as error:  # any unreadable state is set aside, never half-read
            for path in (self.base, self.journal):
                if path.exists():
                    os.replace(path, path.with_suffix(".unreadable"))
            log.warning("the saved state could not be read (%s); set aside", error)
            return None
        for service, accounts in base["services"].items():
            _install(service, pickle.loads(accounts))
        for piece in slices:
            _restore(piece)
        for (region, name), kept in _base_stream_lengths(base).items():
            table = _table(region, name)
            if table is not None and table.stream_shard is not None:
                del table.stream_shard.items[kept:]  # added while the base was written
        extras = base["extras"]
        self._generation, self._base_bytes = base["generation"], self.base.stat().st_size
        self._finish_swap(base.get("journal_from"))
        for entry in self._entries():
            extras = _replay(entry) or extras
        expire_stream_records(datetime.now(UTC))  # a clean stop no longer writes a base
        self._stream_ends = _stream_ends()
        _changes.__init__()  # what loading did is the saved state, not a change
        self._saved_extras = extras
        return extras

    def save(self) -> None:
        """A new base with everything, and a journal that goes on from it.

        The base starts from one point, under both locks: what is not journaled yet is
        journaled first, then the tables' keys and stream lengths and everything but their
        items are taken. Items and stream records follow a slice at a time, each under
        DynamoDB's lock; requests, and flushes to the journal in place, go on in between.
        Whatever a write changes after the point is journaled after it (an item a slice caught
        later than the point is written again by the journal, as it now is), and those entries
        start the new journal, swapped in once the base is on disk. Stream records past their
        24 hours go first."""
        with self._saving:
            with self._writing:
                extras = self._extras()
                with DYNAMODB_LOCK:
                    if self.base.exists():  # the point follows the journal's last entry at once
                        self._append(extras_alone=False)
                        journal_from = (self._generation, _size(self.journal))
                    else:  # a fresh start: the base holds everything
                        journal_from = None
                        _changes.items.clear()
                        _changes.services.clear()
                    expire_stream_records(datetime.now(UTC))
                    self._stream_ends = _stream_ends()
                    layout = _Layout.taken()
                    services = {DYNAMODB: layout.structure}
                    services.update(  # a service changing meanwhile: the next look tries again
                        {name: _pickled(dict(get_backend(name))) for name in WHOLE_SERVICES}
                    )
                    if _changes.tables_changed:
                        self._took_changes()
                    _changes.tables_changed = False
            generation = self._generation + 1
            header = {
                "format": FORMAT,
                "generation": generation,
                "services": services,
                "stream_ends": dict(self._stream_ends),
                "extras": extras,
                "journal_from": journal_from,
            }
            temporary = self.base.with_suffix(".tmp")
            temporary.parent.mkdir(parents=True, exist_ok=True)
            with temporary.open("wb") as file:
                file.write(_pickled(header))
                for piece in layout.slices():
                    file.write(piece)
                _write(file, _pickled(None))
            with self._writing:
                os.replace(temporary, self.base)
                tail = _tail(self.journal, journal_from[1]) if journal_from else b""
                _replace(self.journal, _frame({"generation": generation}) + tail)
                self._generation, self._base_bytes = generation, self.base.stat().st_size
                self._saved_extras = extras

    def pump(self) -> float:
        """Journals what changed since the last look (or writes a new base when due); the
        wait until the next look."""
        try:
            self._look()
            if self._unsettled and self._quiet():
                self._unsettled = False
                self._settled()
        except RuntimeError as error:  # a service's dict changed size while it was pickled
            log.debug("a snapshot raced a write and is retried: %s", error)
            return 0.0
        return SNAPSHOT_SECONDS

    def close(self) -> None:
        """A clean stop keeps what the next look would have: an entry with whatever is not
        journaled yet (the mappings' places too), or a new base only where one is due. A new
        base on every stop cost what the tables hold (1 to 2 s of Ctrl-C at 10,000 items),
        and the base and its journal bring everything back just as well."""
        self._look()

    def _look(self) -> None:
        with self._writing:
            if self.base.exists() and not _changes.tables_changed and not self._journal_is_due():
                self._append()
                return
        self.save()

    def flush(self) -> None:
        """Journals every change made so far before it returns, so what a caller is about to
        be told is done survives a kill. Callers at the same moment share one entry. Extras
        alone (a mapping's place in its stream) wait for the next look: a kill before it only
        redelivers records, as Lambda may. While a base is written, entries go to the journal
        in place, and start the next."""
        for _ in range(_PICKLE_TRIES):
            try:
                if not self.base.exists():  # a fresh start: the journal needs its base
                    self.save()
                    return
                with self._writing:
                    self._append(extras_alone=False)
                return
            except RuntimeError as error:
                log.debug("a flush raced a write and is retried: %s", error)

    def _journal_is_due(self) -> bool:
        """Once the journal outgrows the base, a new base is written when nothing has changed
        for `QUIET_SECONDS` (pickling holds the interpreter, so not while requests come), or
        at once if it grows far beyond (replaying it would make the next start slow)."""
        size = _size(self.journal)
        outgrown = max(self._base_bytes, MINIMUM_JOURNAL_BYTES)
        return size > outgrown * JOURNAL_GROWTH_LIMIT or (size > outgrown and self._quiet())

    def _quiet(self) -> bool:
        """Nothing has changed for `QUIET_SECONDS`, nor is waiting to be journaled."""
        if _changes.items or _changes.services or _changes.tables_changed:
            return False
        return time.monotonic() - self._last_change >= QUIET_SECONDS

    def _took_changes(self) -> None:
        self._last_change = time.monotonic()
        self._unsettled = True

    def _append(self, extras_alone: bool = True) -> None:
        """Writes a journal entry with what changed, if anything did (or, if `extras_alone`,
        if only the extras did)."""
        extras = self._extras()
        with DYNAMODB_LOCK:
            keys, _changes.items = list(_changes.items), {}
            items = [(key, _current(key)) for key in keys]
            records = self._new_records()
        services = {}
        for name in list(_changes.services):
            _changes.services.discard(name)
            services[name] = _pickled(dict(get_backend(name)))
        if items or records or services:
            self._took_changes()
        elif not extras_alone or extras == self._saved_extras:
            return
        entry = {"items": items, "records": records, "services": services, "extras": extras}
        with self.journal.open("ab") as file:
            _write(file, _frame(entry))
        self._saved_extras = extras

    def _new_records(self) -> dict[tuple[str, str], list[Any]]:
        """Stream records added since the last entry, per table."""
        added = {}
        for key, table in _tables():
            shard = table.stream_shard
            if shard is None:
                continue
            end = shard.starting_sequence_number + len(shard.items)
            taken = self._stream_ends.get(key, shard.starting_sequence_number)
            if end > taken:
                added[key] = shard.items[max(0, taken - shard.starting_sequence_number) :]
            self._stream_ends[key] = end
        return added

    def _finish_swap(self, journal_from: tuple[int, int] | None) -> None:
        """If a base was written but not the journal that goes on from it (a kill between
        the two), that journal is made now: the entries of the one it replaces from the base's
        point (`journal_from`: that journal's generation, and the offset) on."""
        if journal_from is None or not self.journal.exists():
            return
        with self.journal.open("rb") as file:
            header = _read(file)
        if header is not None and header.get("generation") == journal_from[0]:
            tail = _tail(self.journal, journal_from[1])
            _replace(self.journal, _frame({"generation": self._generation}) + tail)

    def _entries(self) -> Iterator[dict[str, Any]]:
        """The journal's whole entries of this base's generation (none if it is older)."""
        if not self.journal.exists():
            return
        with self.journal.open("rb") as file:
            header = _read(file)
            if header is None or header.get("generation") != self._generation:
                return
            while (entry := _read(file)) is not None:
                yield entry


def _replay(entry: dict[str, Any]) -> dict[str, Any]:
    """Applies one journal entry to moto's state; its extras."""
    for (region, name, hash_json, range_json), attributes in entry["items"]:
        table = _table(region, name)
        if table is None:
            continue
        hash_value = DynamoType(_thawed(hash_json))
        range_value = DynamoType(_thawed(range_json)) if range_json is not None else None
        item = Item(hash_value, range_value, attributes) if attributes is not None else None
        put_back(table, hash_value, range_value, item)
    for (region, name), records in entry["records"].items():
        table = _table(region, name)
        if table is not None and table.stream_shard is not None:
            table.stream_shard.items.extend(records)
    for service, accounts in entry["services"].items():
        _install(service, pickle.loads(accounts))
    return entry["extras"]


def _current(key: Key) -> dict[str, Any] | None:
    """The item at `key` now, as its attributes in DynamoDB JSON, or None if there is none."""
    region, name, hash_json, range_json = key
    table = _table(region, name)
    if table is None:
        return None
    found = table.items.get(DynamoType(_thawed(hash_json)))
    if range_json is not None:
        found = (found or {}).get(DynamoType(_thawed(range_json)))
    return found.to_json()["Attributes"] if isinstance(found, Item) else None


def _tables() -> Iterator[tuple[tuple[str, str], Table]]:
    for regions in get_backend(DYNAMODB).values():
        for region, backend in regions.items():
            for name, table in backend.tables.items():
                yield (region, name), table


def _table(region: str, name: str) -> Table | None:
    for regions in get_backend(DYNAMODB).values():
        backend: DynamoDBBackend | None = regions.get(region) if region in regions else None
        if backend is not None and name in backend.tables:
            return backend.tables[name]
    return None


def _stream_ends() -> dict[tuple[str, str], int]:
    """Each stream's next sequence number."""
    return {
        key: table.stream_shard.starting_sequence_number + len(table.stream_shard.items)
        for key, table in _tables()
        if table.stream_shard is not None
    }


def _base_stream_lengths(base: dict[str, Any]) -> dict[tuple[str, str], int]:
    """How many records of each stream, as pickled in the base, it holds: those before where
    the stream ended when the base was written. (Bases from before streams expired records
    kept that length itself.)"""
    if "stream_ends" not in base:
        return base["streams"]
    lengths = {}
    for (region, name), end in base["stream_ends"].items():
        table = _table(region, name)
        if table is not None and table.stream_shard is not None:
            lengths[region, name] = end - table.stream_shard.starting_sequence_number
    return lengths


def _install(service: str, accounts: dict[str, Any]) -> None:
    backends = get_backend(service)
    backends.clear()
    backends.update(accounts)


def _frozen(value: Any) -> Any:
    """A DynamoDB JSON value as a hashable key."""
    return (
        tuple(sorted((k, _frozen(v)) for k, v in value.items()))
        if isinstance(value, dict)
        else value
    )


def _thawed(value: Any) -> Any:
    return {k: _thawed(v) for k, v in value} if isinstance(value, tuple) else value


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


def _pickled(value: Any) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def _pickled_plain(value: Any) -> bytes:
    """`value` pickled by pickle's own C code alone: for items and stream records, which hold
    nothing `_Pickler` stands in for."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _tail(path: Path, offset: int) -> bytes:
    """What `path` holds from `offset` on (nothing if it does not exist)."""
    if not path.exists():
        return b""
    with path.open("rb") as file:
        file.seek(offset)
        return file.read()


def _frame(value: Any) -> bytes:
    payload = _pickled(value)
    return _FRAME.pack(len(payload)) + payload


def _read(file: BinaryIO) -> Any | None:
    """The next framed value, or None at the end or at a frame a kill cut short."""
    header = file.read(_FRAME.size)
    if len(header) < _FRAME.size:
        return None
    (length,) = _FRAME.unpack(header)
    payload = file.read(length)
    return pickle.loads(payload) if len(payload) == length else None


def _write(file: BinaryIO, data: bytes) -> None:
    file.write(data)
    file.flush()
    os.fsync(file.fileno())


def _replace(path: Path, data: bytes) -> None:
    """Writes `path` whole or not at all: a temporary file, on disk, renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with temporary.open("wb") as file:
        _write(file, data)
    os.replace(temporary, path)


@dataclass
class _Layout:
    """DynamoDB at a base's point: its backends pickled with the live tables' items and stream
    records held out, and how to write those a slice at a time."""

    structure: bytes
    tables: list[tuple[tuple[str, str], Table, list[tuple[DynamoType, DynamoType | None]], int]]
    """Each live table: its key, the table, its items' keys and its stream's length then."""

    @classmethod
    def taken(cls) -> "_Layout":
        """The layout now (under DynamoDB's lock)."""
        tables = []
        for key, table in _tables():
            records = len(table.stream_shard.items) if table.stream_shard is not None else 0
            tables.append((key, table, _item_keys(table), records))
        buffer = io.BytesIO()
        _HeldOut(buffer, [table for _, table, _, _ in tables]).dump(dict(get_backend(DYNAMODB)))
        return cls(buffer.getvalue(), tables)

    def slices(self) -> Iterator[bytes]:
        """The items, as they are when each slice is taken, and the stream records up to the
        point (which never change), pickled."""
        for (region, name), table, keys, records in self.tables:
            for start in range(0, len(keys), ITEMS_PER_SLICE):
                with DYNAMODB_LOCK:
                    items = [
                        (hash_value, range_value, item)
                        for hash_value, range_value in keys[start : start + ITEMS_PER_SLICE]
                        if (item := _stored(table, hash_value, range_value)) is not None
                    ]
                    piece = _pickled_plain((_ITEMS, region, name, items))
                yield piece
                _between_slices()
            shard = table.stream_shard
            for start in range(0, records, RECORDS_PER_SLICE):
                end = min(records, start + RECORDS_PER_SLICE)
                yield _pickled_plain((_RECORDS, region, name, shard.items[start:end]))


class _HeldOut(_Pickler):
    """Pickles with the given tables' items and stream records left out, the rest as it is."""

    def __init__(self, file: BinaryIO, tables: list[Table]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._emptied: dict[int, Callable[[], Any]] = {}
        for table in tables:
            self._emptied[id(table)] = functools.partial(_emptied, table.items)
            if table.stream_shard is not None:
                self._emptied[id(table.stream_shard)] = list

    def reducer_override(self, obj: Any) -> Any:
        emptied = self._emptied.get(id(obj))
        if emptied is not None:
            return copyreg.__newobj__, (type(obj),), {**obj.__dict__, "items": emptied()}
        return super().reducer_override(obj)


def _between_slices() -> None:
    """Lets a thread waiting for DynamoDB's lock take it before the next slice (releasing a
    lock does not hand over the interpreter)."""
    time.sleep(0)


def _emptied(items: dict[Any, Any]) -> dict[Any, Any]:
    """An empty mapping of the same kind as a table's `items` (moto's is a `defaultdict`)."""
    if isinstance(items, defaultdict):
        return defaultdict(items.default_factory)
    return type(items)()


def _item_keys(table: Table) -> list[tuple[DynamoType, DynamoType | None]]:
    keys: list[tuple[DynamoType, DynamoType | None]] = []
    for hash_value, stored in table.items.items():
        if isinstance(stored, Item):
            keys.append((hash_value, None))
        else:
            keys.extend((hash_value, range_value) for range_value in stored)
    return keys


def _stored(table: Table, hash_value: DynamoType, range_value: DynamoType | None) -> Item | None:
    stored = table.items.get(hash_value)
    if range_value is None:
        return stored if isinstance(stored, Item) else None
    return stored.get(range_value) if isinstance(stored, dict) else None


def _read_base(path: Path) -> tuple[dict[str, Any], list[tuple[str, str, str, list[Any]]]]:
    """The base's header and its slices (none in a base of the whole-pickle format)."""
    with path.open("rb") as file:
        base = pickle.load(file)
        if base.get("format") == WHOLE_BASE_FORMAT:
            return base, []
        if base.get("format") != FORMAT:
            raise ValueError(f"saved state format {base.get('format')}, not {FORMAT}")
        slices = []
        while (piece := pickle.load(file)) is not None:  # cut short: EOFError, set aside
            slices.append(piece)
        return base, slices


def _restore(piece: tuple[str, str, str, list[Any]]) -> None:
    """One slice of a base put back into its table."""
    kind, region, name, values = piece
    table = _table(region, name)
    if table is None:
        return
    if kind == _ITEMS:
        for hash_value, range_value, item in values:
            put_back(table, hash_value, range_value, item)
    elif table.stream_shard is not None:
        table.stream_shard.items.extend(values)
