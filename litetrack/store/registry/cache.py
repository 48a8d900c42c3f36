"""The registry search cache: every model's small documents in one file, never the truth.

``search_model_versions`` over 1,000 versions used to read 1,000 version
documents (~0.1 s in a fresh process). This module keeps what searches need
of them in ``registry/.search-cache.jsonl``, derived from the documents and
kept current by a change journal, so that a search reads two small files:

* ``registry/changes.log``: every local registry write appends one line
  naming what it changed (``<key>`` for a ``model.json``, ``<key>/<n>`` for
  version ``n``), *after* the document, as one ``O_APPEND`` write that starts
  with a newline (so a line torn by a killed writer never glues onto the next
  one). Writers pay one append (~10 us); they never touch the cache.
* ``registry/.search-cache.jsonl``: line 1 is a header (format version, the
  journal's inode and the offset read up to, the registry folder's mtime,
  and per model its key, ``model.json`` and the numbers of its deleted or
  missing versions); line ``i + 2`` holds model ``i``'s live versions as JSON
  arrays (:data:`ROW_FIELDS`, no pinned-file list). Lines are parsed only for
  the models a search reads.

A reader loads the file, re-reads only the documents named in the journal
after the remembered offset, and applies them in memory; it rewrites the file
(atomically; any process may) once enough has changed that replaying costs
more than rewriting. A snapshot is true up to its offset: the journal is read
before the documents it names, so a document read is at least as new as its
line. Another process's change is therefore seen by the next search here.

Changes the journal cannot name are caught otherwise:

* a model folder added or removed by hand, or by a create, delete or rename
  killed before its journal line, changes the registry folder's mtime: the
  folder is listed again and the models that appeared are read whole. An
  mtime moves in clock ticks, so one read less than 2 s after it was set is
  not kept: a change later in the same tick would leave it equal, so the
  next search lists the folder again;
* a registration killed between its version document and its journal line:
  any later line for that model re-reads ``model.json`` and reads every number
  up to ``latest`` that the cache does not know, and any document beyond it;
* a version document replaced (a tag, a description) by a writer killed before
  its line is seen at that version's next change, or when the cache is rebuilt.

The cache is rebuilt from the documents when missing, unreadable, of another
format, or when the journal was replaced; it is written only where the store
is writable (a read-only reader applies the journal in memory and writes
nothing), and any failure makes the search scan the documents instead: the
cache can make a search faster, never change its answer.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from typing import TYPE_CHECKING, Any

from litetrack import settings
from litetrack.errors import CorruptDocument
from litetrack.store.fs import append_line, atomic_write, mtime_settled
from litetrack.store.registry import docs
from litetrack.store.registry.checks import model_key

if TYPE_CHECKING:
    from litetrack.store.registry.reader import RegistryReader

logger = logging.getLogger(__name__)

JOURNAL_FILE = "changes.log"
CACHE_FILE = ".search-cache.jsonl"
#: Bump when the file's layout or a row's meaning changes: older caches are rebuilt.
FORMAT_VERSION = 1
#: A version document as a search row (the pinned files are left out).
ROW_FIELDS = (
    "version",
    "creation_timestamp",
    "last_updated_timestamp",
    "user_id",
    "description",
    "source",
    "run_id",
    "run_link",
    "status",
    "tags",
)
# Documents read since the file was written before it is rewritten: replaying
# a few journal lines (one small read each) is cheaper than rewriting the file.
# But every fresh process replays all the file lacks (~40 us a document), and
# a registry often rests with that lag (a sweep registers, then only reads):
# at 32, its first search in every process paid ~1.2 ms, once, to save ~2 ms
# (a rewrite at 1,000 versions).
_REWRITE_AFTER = 8
# The registry folder's mtime, kept when it was read too young to stand for
# the listing (litetrack.store.fs.mtime_settled): it matches no mtime.
_UNSETTLED = -1
# A pattern, compiled (and cached) by ``re`` when a journal line is first read.
_LINE = rb"([A-Za-z0-9._-]+-[0-9a-f]{16})(?:/([0-9]+))?"


def row_of(vdoc: dict[str, Any]) -> list[Any]:
    """The cache row of a live version document."""
    return [
        vdoc["version"],
        vdoc["creation_timestamp"],
        vdoc["last_updated_timestamp"],
        vdoc.get("user_id"),
        vdoc.get("description"),
        vdoc["source"],
        vdoc.get("run_id"),
        vdoc.get("run_link"),
        vdoc.get("status", "READY"),
        vdoc.get("tags") or {},
    ]


def journal(registry_dir: str, entries: list[str]) -> None:
    """Append journal lines (``key`` or ``key/n``) with one write, after the documents."""
    append_line(
        f"{registry_dir}/{JOURNAL_FILE}", b"\n" + "\n".join(entries).encode("ascii") + b"\n"
    )


class CachedModel:
    """One model in the cache: its ``model.json``, live rows by number, and dead numbers."""

    __slots__ = ("doc", "_rows", "_raw", "gone")

    def __init__(
        self,
        doc: dict[str, Any],
        rows: dict[int, list[Any]] | None,
        raw: bytes | None,
        gone: set[int],
    ) -> None:
        self.doc = doc
        self._rows = rows
        self._raw = raw
        self.gone = gone

    @property
    def rows(self) -> dict[int, list[Any]]:
        """Live versions' rows by number (parsed from the file on first use)."""
        if self._rows is None:
            assert self._raw is not None
            self._rows = {r[0]: r for r in json.loads(self._raw)}
            self._raw = None
        return self._rows

    def body(self) -> bytes:
        """This model's line of the cache file."""
        if self._raw is not None:
            return self._raw
        return json.dumps(list(self.rows.values()), separators=(",", ":")).encode()


class _Snapshot:
    """The cache's content: the models, and the journal offset and folder mtime it holds for."""

    __slots__ = ("models", "journal_ino", "journal_offset", "mtime", "pending")

    def __init__(self, journal_ino: int, journal_offset: int, mtime: int) -> None:
        self.models: dict[str, CachedModel] = {}
        self.journal_ino = journal_ino
        self.journal_offset = journal_offset
        self.mtime = mtime
        #: documents read since the file was last written (or all of them after a rebuild)
        self.pending = 0


class _Unusable(Exception):
    """The cache cannot answer (a corrupt document, a rename to finish): scan instead."""


class SearchCache:
    """The search cache of one local registry (one per registry and process)."""

    def __init__(self, reg: RegistryReader) -> None:
        self.reg = reg
        self.dir = reg._dir
        self.path = f"{self.dir}/{CACHE_FILE}"
        self.journal_path = f"{self.dir}/{JOURNAL_FILE}"
        self._snap: _Snapshot | None = None
        self._lock = threading.Lock()

    # -- the public entry ----------------------------------------------------------
    def models(self) -> dict[str, CachedModel] | None:
        """Every registered model by key, current as of this call; None: scan the documents."""
        if not settings.index_enabled():
            return None
        with self._lock:
            try:
                return self._current().models
            except FileNotFoundError:
                pass  # no registry folder: the scan answers (nothing), and nothing is created
            except _Unusable as e:
                logger.debug("Registry search cache not used: %s", e)
            except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
                # Only a cache: a broken one must not fail the search.
                logger.warning(
                    "Registry search cache %s unusable (%s); scanning the documents", self.path, e
                )
            self._snap = None
            return None

    # -- keeping current -----------------------------------------------------------
    def _folder_mtime(self) -> int:
        return os.stat(self.dir).st_mtime_ns  # FileNotFoundError: no registry, scan (nothing)

    def _stamps(self) -> tuple[int, int, int, int]:
        """(journal inode, journal size, registry folder mtime, the mtime to keep).

        Taken before anything is read. The mtime to keep is :data:`_UNSETTLED`
        when the folder changed too recently (:func:`~litetrack.store.fs.mtime_settled`).
        """
        read_at = time.time_ns()
        mtime = self._folder_mtime()
        kept = mtime if mtime_settled(mtime, read_at) else _UNSETTLED
        try:
            st = os.stat(self.journal_path)
            return st.st_ino, st.st_size, mtime, kept
        except FileNotFoundError:
            return 0, 0, mtime, kept

    def _current(self) -> _Snapshot:
        ino, size, mtime, kept = self._stamps()
        snap = self._snap
        if snap is not None and (snap.journal_ino, snap.journal_offset, snap.mtime) == (
            ino,
            size,
            mtime,
        ):
            return snap
        if snap is None:
            snap = self._load()
        if snap is None or snap.journal_ino != ino or snap.journal_offset > size:
            # No usable file, or the journal was replaced: start from the documents.
            snap = self._build(ino, size, kept)
        else:
            self._apply(snap, size, mtime, kept)
        self._snap = snap
        if snap.pending >= _REWRITE_AFTER:
            self._save(snap)
        return snap

    def _build(self, ino: int, size: int, kept: int) -> _Snapshot:
        snap = _Snapshot(ino, size, kept)
        for key in self.reg._folder_keys():
            self._read_model(snap, key, whole=True)
        snap.pending = max(snap.pending, _REWRITE_AFTER)
        return snap

    def _apply(self, snap: _Snapshot, size: int, mtime: int, kept: int) -> None:
        """Bring ``snap`` up to the journal's ``size`` and the folder's ``mtime`` (as ``kept``)."""
        snap.models = dict(snap.models)  # copied, not changed: searches may hold the old one
        touched: dict[str, set[int]] = {}
        if size > snap.journal_offset:
            with open(self.journal_path, "rb") as f:
                if os.fstat(f.fileno()).st_ino != snap.journal_ino:
                    raise _Unusable("the journal was replaced meanwhile")
                f.seek(snap.journal_offset)
                data = f.read(size - snap.journal_offset)
            end = data.rfind(b"\n") + 1
            for line in data[:end].split(b"\n"):
                m = re.fullmatch(_LINE, line)
                if m is None:
                    continue  # blank, or what a killed writer tore (its change: see the module doc)
                versions = touched.setdefault(m[1].decode(), set())
                if m[2] is not None:
                    versions.add(int(m[2]))
            snap.journal_offset += end
        if mtime != snap.mtime:
            on_disk = set(self.reg._folder_keys())
            for key in set(snap.models) - on_disk:
                del snap.models[key]
            for key in on_disk - set(snap.models):
                touched.setdefault(key, set())
            snap.mtime = kept
        for key, versions in touched.items():
            self._read_model(snap, key, versions)

    def _read_model(
        self, snap: _Snapshot, key: str, versions: set[int] | None = None, *, whole: bool = False
    ) -> None:
        """Re-read a model's ``model.json`` and the named versions (all with ``whole``)."""
        try:
            mdoc = docs.read_model_doc(self.reg.model_path(key))
        except (FileNotFoundError, NotADirectoryError):
            snap.models.pop(key, None)  # deleted, or a create not finished
            return
        except CorruptDocument as e:
            raise _Unusable(str(e)) from None
        entry = snap.models.get(key)
        # A name already checked against its key needs no hash (nor hashlib's import).
        if (entry is None or entry.doc["name"] != mdoc["name"]) and model_key(mdoc["name"]) != key:
            raise _Unusable(f"registry folder {key} holds {mdoc['name']!r} (a rename to finish)")
        snap.pending += 1
        if whole or entry is None or entry.doc["id"] != mdoc["id"]:
            entry = snap.models[key] = CachedModel(mdoc, {}, None, set())
            numbers: set[int] = set()
            for name in self._version_names(key):
                numbers.add(int(name[:-5]))
            numbers.update(range(1, mdoc["latest"] + 1))
        else:
            # A new object, not a change in place: a search in another thread
            # may be reading the old one.
            entry = snap.models[key] = CachedModel(mdoc, dict(entry.rows), None, set(entry.gone))
            known = entry.rows.keys() | entry.gone
            # A registration killed before its journal line: numbers up to
            # latest the cache does not know, and documents beyond it.
            numbers = set(versions or ()) | (set(range(1, mdoc["latest"] + 1)) - known)
        for v in sorted(numbers):
            self._read_version(snap, key, entry, v)
        top = max([mdoc["latest"], *entry.rows, *entry.gone])
        while os.path.exists(self.reg.version_path(key, top + 1)):
            top += 1
            self._read_version(snap, key, entry, top)

    def _version_names(self, key: str) -> list[str]:
        try:
            names = os.listdir(f"{self.dir}/{key}/versions")
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [n for n in names if n.endswith(".json") and n[:-5].isdigit()]

    def _read_version(self, snap: _Snapshot, key: str, entry: CachedModel, v: int) -> None:
        try:
            vdoc = docs.read_version_doc(self.reg.version_path(key, v))
        except (FileNotFoundError, NotADirectoryError):
            vdoc = None
        except CorruptDocument as e:
            raise _Unusable(str(e)) from None
        snap.pending += 1
        if vdoc is None or vdoc.get("deleted"):
            entry.rows.pop(v, None)
            entry.gone.add(v)
        else:
            entry.gone.discard(v)
            entry.rows[v] = row_of(vdoc)

    # -- the file ------------------------------------------------------------------
    def _load(self) -> _Snapshot | None:
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return None
        lines = data.split(b"\n")
        try:
            head = json.loads(lines[0])
            if head.get("format") != FORMAT_VERSION:
                return None
            models = head["models"]
            if len(lines) != len(models) + 2 or lines[-1] != b"":
                return None  # torn or edited
            snap = _Snapshot(head["journal"][0], head["journal"][1], head["mtime"])
            for (key, mdoc, gone), raw in zip(models, lines[1:-1], strict=True):
                snap.models[key] = CachedModel(mdoc, None, raw, set(gone))
            return snap
        except (ValueError, KeyError, TypeError, IndexError) as e:
            logger.warning("Registry search cache %s unreadable (%s); rebuilding it", self.path, e)
            return None

    def _save(self, snap: _Snapshot) -> None:
        """Write the cache file if this process may (a reader without write permission skips it)."""
        if not self.reg.store.writable() or not os.access(self.dir, os.W_OK | os.X_OK):
            return
        keys = sorted(snap.models)
        head = {
            "format": FORMAT_VERSION,
            "journal": [snap.journal_ino, snap.journal_offset],
            "mtime": snap.mtime,
            "models": [[k, snap.models[k].doc, sorted(snap.models[k].gone)] for k in keys],
        }
        parts = [json.dumps(head, separators=(",", ":")).encode()]
        parts += [snap.models[k].body() for k in keys]
        try:
            atomic_write(self.path, b"\n".join(parts) + b"\n")
        except OSError as e:
            logger.debug("Registry search cache %s not written: %s", self.path, e)
            return
        snap.pending = 0
