"""The search index: a SQLite cache derived from the run documents, never the truth.

``<store>/index.sqlite`` (WAL) holds one row per run (with its folded document,
so results need no file reads) and one row per param, tag and metric, in the
schema :data:`litetrack.query.INDEX_SCHEMA` that the filter compiler targets.

Keeping it up to date without costing the writers anything:

* every document rewrite (and every log write to a run that is not RUNNING)
  appends the run id to ``<store>/changes.log``; the index remembers how far
  it has read that journal and re-reads the runs named after that point;
* RUNNING runs are re-read at every refresh (their log grows without a
  journal entry); a dead owner turns them KILLED;
* a run folder added or removed by hand changes the mtime of ``runs/``; the
  index then compares the folder listing with its rows.

It is rebuilt from scratch when missing, unreadable (corrupt), from another
format version, or on ``python -m litetrack reindex``. If SQLite fails in any
way at search time, the search falls back to scanning the documents: the
index can make a search faster, never wrong. ``LITETRACK_INDEX=0`` disables it.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from litetrack import settings
from litetrack.errors import CorruptDocument, RunNotFound
from litetrack.query import INDEX_SCHEMA, compile_sql, configure_connection
from litetrack.store.fs import FileLock
from litetrack.store.runs import effective_status, run_view
from litetrack.store.search import dataset_facts

if TYPE_CHECKING:
    from litetrack.query import Expr, OrderKey
    from litetrack.store.core import Store

logger = logging.getLogger(__name__)

INDEX_FILE = "index.sqlite"
#: Bump when the schema or the meaning of a column changes: older indexes are rebuilt.
FORMAT_VERSION = 3  # 3: the inputs table (dataset filters)

_META = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
"""


class SearchIndex:
    """The derived SQLite index of one store (one per process per store)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.path = store.root / INDEX_FILE
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._ino = -1

    # -- connection ---------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            # The index is a cache: losing the last transactions on power
            # loss is harmless (it is re-derived), so skip the fsyncs.
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA temp_store=MEMORY")
            conn.execute("PRAGMA cache_size=-65536")
            configure_connection(conn)
        except BaseException:
            conn.close()
            raise
        self._conn, self._pid = conn, os.getpid()
        self._ino = os.stat(self.path).st_ino
        return conn

    def close(self) -> None:
        """Close the connection (it reopens on next use)."""
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None

    def _discard(self) -> None:
        self.close()
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(f"{self.path}{suffix}")
            except FileNotFoundError:
                pass

    # -- meta -----------------------------------------------------------------------
    @staticmethod
    def _meta(conn: sqlite3.Connection) -> dict[str, str]:
        try:
            return dict(conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.OperationalError:
            return {}

    @staticmethod
    def _set_meta(conn: sqlite3.Connection, **values: Any) -> None:
        conn.executemany(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
            [(k, str(v)) for k, v in values.items()],
        )

    # -- writing rows -------------------------------------------------------------
    @staticmethod
    def _delete_rows(conn: sqlite3.Connection, run_ids: Sequence[str]) -> None:
        rows = [(r,) for r in run_ids]
        for table in ("runs", "params", "tags", "metrics", "inputs"):
            conn.executemany(f"DELETE FROM {table} WHERE run_id = ?", rows)

    @staticmethod
    def _insert_docs(conn: sqlite3.Connection, docs: Iterable[dict[str, Any]]) -> None:
        runs: list[tuple[Any, ...]] = []
        params: list[tuple[str, str, str]] = []
        tags: list[tuple[str, str, str]] = []
        metrics: list[tuple[Any, ...]] = []
        inputs: list[tuple[Any, ...]] = []
        for doc in docs:
            rid = doc["run_id"]
            runs.append((
                rid,
                doc["experiment_id"],
                doc.get("run_name"),
                effective_status(doc),
                _column(doc.get("start_time"), rid, "start_time", int),
                _column(doc.get("end_time"), rid, "end_time", int),
                doc.get("artifact_uri"),
                doc.get("user_id"),
                doc.get("lifecycle_stage", "active"),
                json.dumps(run_view(doc), separators=(",", ":")),
            ))
            params.extend(
                (rid, k, v) for k, v in (doc.get("params") or {}).items()
                if type(v) is str or _column(v, rid, f"params.{k}", str) is not None
            )
            tags.extend(
                (rid, k, v) for k, v in (doc.get("tags") or {}).items()
                if type(v) is str or _column(v, rid, f"tags.{k}", str) is not None
            )
            inputs.extend((rid, *facts) for facts in dataset_facts(doc))
            for k, s in (doc.get("metrics") or {}).items():
                value = _column(s.get("value"), rid, f"metrics.{k}", float)
                if value is None:
                    continue
                first = _column(s.get("first"), rid, f"metrics.{k} (first)", float)
                metrics.append((
                    rid, k, value, _column(s.get("min"), rid, f"metrics.{k} (min)", float),
                    _column(s.get("max"), rid, f"metrics.{k} (max)", float),
                    value if first is None else first,
                    _column(s.get("count", 1), rid, f"metrics.{k} (count)", int),
                ))
        conn.executemany("INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?)", runs)
        conn.executemany("INSERT OR REPLACE INTO params VALUES (?,?,?)", params)
        conn.executemany("INSERT OR REPLACE INTO tags VALUES (?,?,?)", tags)
        conn.executemany("INSERT OR REPLACE INTO metrics VALUES (?,?,?,?,?,?,?)", metrics)
        conn.executemany("INSERT INTO inputs VALUES (?,?,?,?)", inputs)

    def _read_docs(self, run_ids: Iterable[str]) -> tuple[list[dict[str, Any]], list[str]]:
        """Folded documents of the runs that exist, and the ids that do not (or are corrupt)."""
        docs, gone = [], []
        runs = self.store.runs
        for rid in run_ids:
            try:
                docs.append(runs.read(rid))
            except RunNotFound:
                gone.append(rid)
            except (CorruptDocument, ValueError) as e:
                # Corrupt runs are left out of the index (verify reports
                # them); a direct get_run still raises the clear error.
                logger.warning("Search index: skipping run %s: %s", rid, e)
                gone.append(rid)
        return docs, gone

    def _update(self, conn: sqlite3.Connection, run_ids: set[str]) -> None:
        if not run_ids:
            return
        ids = sorted(run_ids)
        docs, gone = self._read_docs(ids)
        self._delete_rows(conn, ids)
        self._insert_docs(conn, docs)

    # -- journal ------------------------------------------------------------------
    def _journal_since(self, offset: int) -> tuple[set[str], int]:
        try:
            with open(self.store.runs.journal_path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size < offset:
                    offset = 0  # journal replaced (e.g. restored from a copy): read it all
                f.seek(offset)
                data = f.read(size - offset)
        except FileNotFoundError:
            return set(), 0
        end = data.rfind(b"\n") + 1
        ids = {line.decode("ascii", "replace") for line in data[:end].split(b"\n") if line}
        return ids, offset + end

    def _runs_dir_mtime(self) -> int:
        try:
            return os.stat(self.store.runs.dir).st_mtime_ns
        except FileNotFoundError:
            return 0

    # -- refresh / rebuild ------------------------------------------------------------
    def rebuild(
        self, discard: bool = False, progress: Callable[[str, int, int], None] | None = None
    ) -> int:
        """Rebuild from the documents; returns the number of runs indexed.

        The rebuild happens inside one write transaction (readers keep seeing
        the old rows until it commits). ``discard`` first deletes the files,
        for an index SQLite cannot open at all. ``progress(stage, done,
        total)`` is called as runs are read.
        """
        with FileLock(f"{self.path}.lock"):
            if discard:
                self._discard()
            return self._rebuild(progress)

    def _rebuild(self, progress: Callable[[str, int, int], None] | None = None) -> int:
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table in ("runs", "params", "tags", "metrics", "inputs", "meta"):
                conn.execute(f"DROP TABLE IF EXISTS {table}")
            for stmt in (INDEX_SCHEMA + _META).split(";"):
                if stmt.strip():
                    conn.execute(stmt)
            # Read the journal position and folder mtime *before* scanning,
            # so anything changed during the scan is re-read next refresh.
            _, journal_end = self._journal_since(0)
            mtime = self._runs_dir_mtime()
            count = 0
            batch: list[dict[str, Any]] = []
            run_ids = list(self.store.runs.iter_ids())
            for i, rid in enumerate(run_ids, 1):
                if progress is not None:
                    progress("runs", i, len(run_ids))
                docs, _ = self._read_docs([rid])
                batch.extend(docs)
                if len(batch) >= 2000:
                    self._insert_docs(conn, batch)
                    count += len(batch)
                    batch = []
            self._insert_docs(conn, batch)
            count += len(batch)
            self._set_meta(
                conn, format_version=FORMAT_VERSION, journal_offset=journal_end, runs_mtime=mtime,
                built_at=int(time.time()), analyzed_runs=count,
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("ANALYZE")
        return count

    def refresh(self) -> None:
        """Bring the index up to date with the documents (rebuilding it if needed)."""
        conn = self._connect()
        meta = self._meta(conn)
        if meta.get("format_version") != str(FORMAT_VERSION):
            with FileLock(f"{self.path}.lock"):
                # Another process may have rebuilt it while we waited.
                if self._meta(conn).get("format_version") != str(FORMAT_VERSION):
                    self._rebuild()
            return
        journal_ids, journal_end = self._journal_since(int(meta.get("journal_offset", 0)))
        mtime = self._runs_dir_mtime()
        mtime_changed = str(mtime) != meta.get("runs_mtime")
        running = conn.execute("SELECT run_id FROM runs WHERE status = 'RUNNING'").fetchall()
        if not journal_ids and not mtime_changed and not running:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read the position inside the write transaction: another
            # process may have consumed part of the journal meanwhile.
            meta = self._meta(conn)
            journal_ids, journal_end = self._journal_since(int(meta.get("journal_offset", 0)))
            todo = set(journal_ids)
            todo.update(r[0] for r in conn.execute("SELECT run_id FROM runs WHERE status = 'RUNNING'"))
            if str(mtime) != meta.get("runs_mtime"):
                on_disk = set(self.store.runs.iter_ids())
                indexed = {r[0] for r in conn.execute("SELECT run_id FROM runs")}
                todo |= on_disk - indexed
                todo |= indexed - on_disk
            self._update(conn, todo)
            self._set_meta(conn, journal_offset=journal_end, runs_mtime=mtime)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._maybe_analyze(conn, meta)

    @staticmethod
    def _maybe_analyze(conn: sqlite3.Connection, meta: dict[str, str]) -> None:
        # The planner needs statistics to start from the selective predicate
        # (a 10x difference on 100k runs); refresh them when the index has
        # grown by half since they were gathered (0.3 s at 100k runs).
        analyzed = int(meta.get("analyzed_runs", 0))
        count = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
        if count >= analyzed * 1.5 + 500:
            conn.execute("ANALYZE")
            conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('analyzed_runs', ?)", (str(count),)
            )

    def _ready(self) -> sqlite3.Connection:
        if self._conn is not None:
            # Another process may have replaced a corrupt index file: follow it.
            try:
                if os.stat(self.path).st_ino != self._ino:
                    self.close()
            except FileNotFoundError:
                self.close()
        try:
            self.refresh()
        except sqlite3.DatabaseError as e:
            # Corrupt or foreign file: it is only a cache, start again.
            logger.warning("Search index %s unusable (%s); rebuilding it", self.path, e)
            self.rebuild(discard=True)
        return self._connect()

    # -- queries ------------------------------------------------------------------------
    def search(
        self,
        experiment_ids: Sequence[str],
        stages: Sequence[str],
        expr: Expr | None,
        keys: Sequence[OrderKey],
        limit: int | None,
        offset: int,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Run views (:func:`~litetrack.store.runs.run_view`) of one page of matching runs, and whether more follow."""
        conn = self._ready()
        sql, params = compile_sql(
            expr, keys, experiment_ids=list(experiment_ids), lifecycle_stages=list(stages),
            limit=None if limit is None else limit + 1, offset=offset or None,
            columns=("doc",),
        )
        texts = [r[0] for r in conn.execute(sql, params)]
        more = limit is not None and len(texts) > limit
        if more:
            texts = texts[:limit]
        if not texts:
            return [], more
        # One parse for the whole page: ~2x faster than a json.loads per document.
        return json.loads("[" + ",".join(texts) + "]"), more

    def run_counts(self) -> dict[str, int]:
        """Active runs per experiment id."""
        conn = self._ready()
        return dict(
            conn.execute(
                "SELECT experiment_id, count(*) FROM runs WHERE lifecycle_stage = 'active' "
                "GROUP BY experiment_id"
            ).fetchall()
        )


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_reported: set[tuple[str, str]] = set()


def _column(value: Any, run_id: str, name: str, kind: type) -> Any:
    """``value`` as SQLite can hold it in a column of ``kind``, or None (logged).

    The documents are the truth and may hold what a column cannot (a time
    beyond 64 bits or a wrong type, written by hand or by an old version):
    that one value is left out of the index, so filters on it do not match
    the run, instead of the index failing for the whole store. ``verify``
    reports the value.
    """
    if value is None:
        return None
    if kind is int:
        if type(value) is int and _INT64_MIN <= value <= _INT64_MAX:
            return value
    elif kind is float:
        if type(value) is float:
            return value
        if type(value) is int:
            try:
                return float(value)
            except OverflowError:
                pass
    elif type(value) is str:
        return value
    if (run_id, name) in _reported:
        return None
    if len(_reported) < 10_000:
        _reported.add((run_id, name))  # RUNNING runs are re-indexed at every refresh: warn once
    huge = isinstance(value, int) and value.bit_length() >= 200
    text = "a huge integer" if huge else repr(value)
    logger.warning(
        "Search index: run %s has %s = %.80s, which the index cannot hold (expected %s); "
        "left out of the index (`python -m litetrack verify` reports it)",
        run_id, name, text, "a 64-bit integer" if kind is int else kind.__name__,
    )
    return None


def open_index(store: Store) -> SearchIndex | None:
    """The store's index, or None when disabled or SQLite cannot be used here."""
    if not settings.index_enabled():
        return None
    return SearchIndex(store)
