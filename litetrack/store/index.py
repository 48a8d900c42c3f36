"""The search index: a SQLite cache derived from the run documents, never the truth.

``<store>/index.sqlite`` (WAL) holds one row per run (with its folded document,
so results need no file reads), in the schema
:data:`litetrack.query.INDEX_SCHEMA` that the filter compiler targets. The
param, tag and metric tables hold rows only for the keys queries have used
(``filled_keys``): they are filled in SQL from the runs' ``doc`` column (and
``mstats``, the metric summaries, which results never read) the first time a
query reads a key, and kept filled by every later ingest. A run thus costs
one row to ingest.

Ingest is cheap for the common case, a run ended by the process that wrote
it: the journal line announcing the end carries the run's index row (see
:meth:`litetrack.store.runs.RunWriter.try_append_status`). The writer adds
that line only when the run's log and document are still its own versions,
and checks again once the line is written (adding a plain line if not), so
the row holds while it is the run's last journal line: no file of the run is
opened. The same row is in the run's final status record, which a rebuild
that finds no such line (or ``reindex``) takes from the log's last line
after checking that the line starts where the writer expected and that the
document is still the version it wrote; anything else is read and folded
from the files.

Keeping it up to date without costing the writers anything:

* every document rewrite (and every log write to a run that is not RUNNING)
  appends the run id to ``<store>/changes.log``; the index remembers how far
  it has read that journal and re-reads the runs named after that point;
* a change to a run the index may hold as ended is also *announced* on
  the journal before it is made (``<id>\t~<writer>``) and confirmed after it
  (``<id>\t=<writer>``, instead of the plain line): the line after a change
  can be lost to a kill, and the index may have read the run between the
  announcement and the change, so an announced run is re-read at every
  refresh until its confirmation is read or its writer is dead (``pending``
  in ``meta``);
* RUNNING runs are re-read at every refresh (their log grows without a
  journal entry); a dead owner turns them KILLED;
* a run folder added or removed by hand changes the mtime of ``runs/``; the
  index then compares the folder listing with its rows. An mtime moves in
  clock ticks (a jiffy, up to 2 s on some filesystems), so a change in the
  same tick as the one the index last saw would leave it equal: an mtime
  read too soon after it was set (:func:`litetrack.store.fs.mtime_settled`) is kept as unsettled,
  and the next refresh compares the listing again.

It is rebuilt from scratch when missing, unreadable (corrupt), from another
format version, or on ``python -m litetrack reindex``. If SQLite fails in any
way at search time, the search falls back to scanning the documents: the
index can make a search faster, never wrong. ``LITETRACK_INDEX=0`` disables it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from litetrack import settings
from litetrack.errors import CorruptDocument, RunNotFound
from litetrack.query import INDEX_SCHEMA, compile_sql, configure_connection, fields_of
from litetrack.store.fs import FileLock, mtime_settled, stat_key
from litetrack.store.procs import token_alive
from litetrack.store.runs import (
    RUN_DOC,
    RUN_LOG,
    artifact_sizes,
    effective_status,
    index_stats_json,
    index_view_json,
)

if TYPE_CHECKING:
    from litetrack.query import Expr, OrderKey
    from litetrack.store.core import Store

logger = logging.getLogger(__name__)

INDEX_FILE = "index.sqlite"
#: Bump when the schema or the meaning of a column changes: older indexes are rebuilt.
FORMAT_VERSION = 6  # 4: artifact_size / model_size; 5: the inputs table; 6: the mstats column

_META = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS filled_keys(tbl TEXT, key TEXT, PRIMARY KEY(tbl, key)) WITHOUT ROWID;
"""

# Fill a key/value table from the runs' JSON columns; the caller appends the
# WHERE conditions. Metric summaries (``mstats``) are ``[last, min, max, first, count]``.
_FILL = {
    "params": "INSERT OR REPLACE INTO params(run_id, key, value) SELECT r.run_id, j.key, j.value "
    "FROM runs AS r, json_each(r.doc, '$.params') AS j WHERE ",
    "tags": "INSERT OR REPLACE INTO tags(run_id, key, value) SELECT r.run_id, j.key, j.value "
    "FROM runs AS r, json_each(r.doc, '$.tags') AS j WHERE ",
    "metrics": "INSERT OR REPLACE INTO metrics(run_id, key, last, min, max, first, count) "
    "SELECT r.run_id, j.key, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, "
    "j.value ->> 4 FROM runs AS r, json_each(r.mstats) AS j WHERE ",
    # The dataset inputs (dataset.name/digest/context filters): all of a run's
    # inputs at once, under the one pseudo-key INPUTS_KEY; entries whose name
    # or digest is not a string are left out, a context that is not one reads
    # as none (as store.search.dataset_facts does for the scan).
    "inputs": "INSERT INTO inputs(run_id, name, digest, context) SELECT r.run_id, "
    "j.value ->> '$.dataset.name', j.value ->> '$.dataset.digest', "
    "CASE WHEN json_type(j.value, '$.tags.\"mlflow.data.context\"') = 'text' "
    "THEN j.value ->> '$.tags.\"mlflow.data.context\"' END "
    "FROM runs AS r, json_each(r.doc, '$.inputs') AS j "
    "WHERE json_type(j.value, '$.dataset.name') = 'text' "
    "AND json_type(j.value, '$.dataset.digest') = 'text' AND ",
}
#: The key under which the inputs table is recorded in ``filled_keys``.
INPUTS_KEY = "*"
# The last line of a log read to find a writer's summary (a run's row is ~1 KB).
_SUMMARY_WINDOW = 16384
_INSERT = (
    "INSERT OR REPLACE INTO runs(run_id, experiment_id, run_name, status, start_time, end_time, "
    "artifact_uri, user_id, lifecycle_stage, artifact_size, model_size, mstats, doc) "
)
# Rows built here, or from a journal line whose checksum matched.
_INSERT_TRUSTED = _INSERT + "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
# Rows from a log's status record, whose JSON goes in unparsed: a damaged one
# (a log edited in place) is not inserted, and _store_rows reads it again.
_INSERT_CHECKED = (
    _INSERT + "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13 "
    "WHERE json_valid(?12) AND json_valid(?13)"
)
_TERMINAL = frozenset(("FINISHED", "FAILED", "KILLED"))
# raw_decode of a str: no encoding detection, ~2x cheaper than json.loads(bytes).
_decode_head = json.JSONDecoder().raw_decode
_TABLE_OF_KIND = {"param": "params", "tag": "tags", "metric": "metrics"}
# A run id as validate_run_id accepts it (journal lines name run folders).
_RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _fields(expr: Expr | None, keys: Sequence[OrderKey]) -> set[tuple[str, str]]:
    """(table, key) of every param, tag and metric a filter and order read."""
    out: set[tuple[str, str]] = set()
    for f in fields_of(expr, keys):
        if f.kind == "dataset":
            out.add(("inputs", INPUTS_KEY))
            continue
        table = _TABLE_OF_KIND.get(f.kind)
        if table is not None:
            out.add((table, f.key))
    return out


def _same_listing(stamp: str, kept: str | None) -> bool:
    """Whether ``runs/`` still holds the run folders the index last compared (see _runs_stamp)."""
    return stamp == kept and not stamp.startswith("~")


class SearchIndex:
    """The derived SQLite index of one store (one per process per store)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.path = store.root / INDEX_FILE
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._ino = -1
        # run_keys' last answer, with the query and index state it holds for.
        self._keys: tuple[tuple[Any, ...], dict[str, list[str]]] | None = None

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
            # Read pages through a memory map, not copies into the page cache:
            # a fresh process's first scan of a 10,000-run index 0.1 s -> 0.01 s.
            conn.execute("PRAGMA mmap_size=1073741824")
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
    def _delete_rows(conn: sqlite3.Connection, run_ids: Sequence[str], tables: Iterable[str]) -> None:
        rows = [(r,) for r in run_ids]
        for table in tables:
            conn.executemany(f"DELETE FROM {table} WHERE run_id = ?", rows)

    @staticmethod
    def _insert_rows(
        conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]], checked: bool = False
    ) -> int:
        """One ``runs`` row per run, its params, tags and metrics inside ``doc``; returns the rows inserted.

        The key/value tables are filled from ``doc`` and ``mstats`` in SQL,
        only for the keys queries have used (:meth:`_fill_keys`): a run costs
        one row here instead of one per param, tag and metric. ``checked``:
        rows whose JSON is not valid are left out (it costs ~3 us a row).
        """
        before = conn.total_changes
        conn.executemany(_INSERT_CHECKED if checked else _INSERT_TRUSTED, rows)
        return conn.total_changes - before

    @staticmethod
    def _doc_row(doc: dict[str, Any]) -> tuple[Any, ...]:
        """The ``runs`` row of a folded document.

        Values SQLite cannot hold (a time beyond 64 bits, a wrong type written
        by hand) are left out (:func:`_column`), so that filters on them do
        not match instead of the index failing for the whole store.
        """
        rid = doc["run_id"]
        clean = dict(doc)
        clean["start_time"] = start = _column(doc.get("start_time"), rid, "start_time", int)
        clean["end_time"] = end = _column(doc.get("end_time"), rid, "end_time", int)
        for kind in ("params", "tags"):
            values = doc.get(kind) or {}
            if not all(type(v) is str for v in values.values()):
                clean[kind] = {
                    k: v for k, v in values.items()
                    if type(v) is str or _column(v, rid, f"{kind}.{k}", str) is not None
                }
        metrics = {}
        for k, m in (doc.get("metrics") or {}).items():
            value = _column(m.get("value"), rid, f"metrics.{k}", float)
            if value is None:
                continue
            metrics[k] = {
                "value": value,
                "min": _column(m.get("min"), rid, f"metrics.{k} (min)", float),
                "max": _column(m.get("max"), rid, f"metrics.{k} (max)", float),
                "first": _column(m.get("first"), rid, f"metrics.{k} (first)", float),
                "count": _column(m.get("count", 1), rid, f"metrics.{k} (count)", int),
            }
        clean["metrics"] = metrics
        return (
            rid,
            doc["experiment_id"],
            doc.get("run_name"),
            effective_status(doc),
            start,
            end,
            doc.get("artifact_uri"),
            doc.get("user_id"),
            doc.get("lifecycle_stage", "active"),
            *artifact_sizes(doc.get("artifacts") or {}),
            index_stats_json(clean),
            index_view_json(clean),
        )

    def _summary_row(self, run_id: str) -> tuple[Any, ...] | None:
        """The row a run's writer left in its final status record, if still true; else None.

        True means: that record is the log's last line, it starts at the byte
        the writer expected (nothing else was appended before it) and the
        document is the version the writer last wrote. Two system calls and
        one small parse instead of reading and folding the whole run. Used
        when the journal's line for the run does not carry the row (a
        rebuild after the journal was lost, or a changed run).
        """
        if not _RUN_ID.fullmatch(run_id):
            return None  # a torn or foreign journal line: it names no run folder
        run_dir = f"{self.store.runs._dir}/{run_id}"
        try:
            fd = os.open(f"{run_dir}/{RUN_LOG}", os.O_RDONLY)
        except OSError:
            return None
        try:
            size = os.fstat(fd).st_size
            want = min(size, _SUMMARY_WINDOW)
            data = os.pread(fd, want, size - want)
        finally:
            os.close(fd)
        if len(data) != want or not data.endswith(b"\n"):
            return None
        start = data.rfind(b"\n", 0, len(data) - 1) + 1
        if start == 0 and want < size:
            return None  # a last line longer than the window
        line = data[start:]
        parsed = _parse_summary(line, run_id)
        if parsed is None or parsed[0]["at"] != size - len(line):
            return None
        head, row = parsed
        try:
            if tuple(head["doc"]) != stat_key(os.stat(f"{run_dir}/{RUN_DOC}")):
                return None
        except (OSError, TypeError):
            return None
        return row

    @staticmethod
    def _journal_row(run_id: str, payload: bytes) -> tuple[Any, ...] | None:
        """The row carried by the journal line announcing that a run's writer ended it.

        The writer wrote the line only after checking that the run's log and
        document were still its own versions, and checked again after
        writing it (a plain line follows if not): any other change to the run
        is journaled after this line, so it holds while it is the run's last
        line. No file of the run is opened. The line's CRC-32 catches a torn
        or damaged line (then the run is read from its files).
        """
        crc, _, rest = payload.partition(b"\t")
        parts = rest.split(b"\t")
        if len(parts) != 3:
            return None
        try:
            if int(crc, 16) != zlib.crc32(rest):
                return None
            text = parts[0].decode()
            row, end = _decode_head(text)
            if end != len(text) or not _row_ok(row, run_id):
                return None
            return (*row, parts[1].decode(), parts[2].decode())
        except (ValueError, TypeError):
            return None

    @staticmethod
    def _filled_keys(conn: sqlite3.Connection) -> dict[str, set[str]]:
        filled: dict[str, set[str]] = {t: set() for t in _FILL}
        for table, key in conn.execute("SELECT tbl, key FROM filled_keys"):
            filled[table].add(key)
        return filled

    @staticmethod
    def _fill_keys(
        conn: sqlite3.Connection, table: str, keys: Iterable[str] | None, run_ids: Sequence[str] | None
    ) -> None:
        """Insert the ``table`` rows of ``keys`` (None: every filled key) for ``run_ids`` (None: all runs)."""
        where, params = [], []
        if table == "inputs":
            where.append("1")  # one pseudo-key: every input of the runs
        elif keys is None:
            where.append("j.key IN (SELECT key FROM filled_keys WHERE tbl = ?)")
            params.append(table)
        else:
            where.append("j.key IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(sorted(keys)))
        if run_ids is not None:
            where.append("r.run_id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(list(run_ids)))
        conn.execute(_FILL[table] + " AND ".join(where), params)

    def _read_rows(
        self, run_ids: Iterable[str], journal: _Journal | None = None, slow: bool = False
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[str]]:
        """Rows of the runs that exist, rows to check, and the ids that do not exist (or are corrupt).

        A run's row comes from the writer's summary on its journal line, else
        from its log's last line (those rows are to check: their JSON was not
        parsed), else from reading and folding its files. ``slow``: always
        the latter.
        """
        rows: list[tuple[Any, ...]] = []
        checked: list[tuple[Any, ...]] = []
        gone: list[str] = []
        runs = self.store.runs
        summaries = {} if journal is None or slow else journal.summaries
        for rid in run_ids:
            if not slow:
                payload = summaries.get(rid)
                row = None if payload is None else self._journal_row(rid, payload)
                if row is not None:
                    rows.append(row)
                    continue
                row = self._summary_row(rid)
                if row is not None:
                    checked.append(row)
                    continue
            if not _RUN_ID.fullmatch(rid):
                gone.append(rid)  # a damaged journal line: it names no run folder
                continue
            try:
                rows.append(self._doc_row(runs.read(rid)))
            except RunNotFound:
                gone.append(rid)
            except (CorruptDocument, ValueError) as e:
                # Corrupt runs are left out of the index (verify reports
                # them); a direct get_run still raises the clear error.
                logger.warning("Search index: skipping run %s: %s", rid, e)
                gone.append(rid)
        return rows, checked, gone

    def _store_rows(
        self, conn: sqlite3.Connection, run_ids: Sequence[str], journal: _Journal | None = None
    ) -> tuple[int, list[str]]:
        """Read and insert the rows of ``run_ids``; (rows inserted, ids gone)."""
        rows, checked, gone = self._read_rows(run_ids, journal)
        self._insert_rows(conn, rows)
        if self._insert_rows(conn, checked, checked=True) == len(checked):
            return len(rows) + len(checked), gone
        # SQLite refused a damaged one: read those runs again the slow way,
        # which skips the bad line.
        valid = conn.execute
        bad = [r[0] for r in checked if not valid("SELECT json_valid(?) AND json_valid(?)", r[-2:]).fetchone()[0]]
        again, _, also_gone = self._read_rows(bad, slow=True)
        self._delete_rows(conn, also_gone, ("runs",))
        self._insert_rows(conn, again)
        gone += also_gone
        return len(rows) + len(checked) - len(also_gone), gone

    def _update(self, conn: sqlite3.Connection, run_ids: set[str], journal: _Journal) -> None:
        if not run_ids:
            return
        ids = sorted(run_ids)
        if journal.summaries:
            # A writer's row on the journal is its view of the run's end; if
            # the index already holds the run as ended, another change came
            # first (another process's, whose lines were read by an earlier
            # ingest) and the writer may have been killed before the line
            # voiding its row: such a run is read from its files.
            ended = conn.execute(
                "SELECT run_id FROM runs WHERE status != 'RUNNING' "
                "AND run_id IN (SELECT value FROM json_each(?))",
                (json.dumps([r for r in ids if r in journal.summaries]),),
            )
            for (rid,) in ended:
                journal.summaries.pop(rid, None)
        filled = self._filled_keys(conn)
        self._delete_rows(conn, ids, [t for t, keys in filled.items() if keys])
        _, gone = self._store_rows(conn, ids, journal)
        self._delete_rows(conn, gone, ("runs",))
        for table, keys in filled.items():
            if keys:
                self._fill_keys(conn, table, None, ids)

    # -- journal ------------------------------------------------------------------
    @staticmethod
    def _pending(meta: dict[str, str], journal: _Journal) -> tuple[set[str], str]:
        """(runs to re-read from their files, the pending changes to keep in ``meta``).

        A change announced in the journal (:meth:`~litetrack.store.runs.RunStore.intend`)
        may land after this ingest reads the run, and the line confirming it
        may never come (its writer killed in between): the run is re-read at
        every refresh until the confirmation is read or the writer is dead,
        then once more. Kept in ``meta`` as ``{run id: {token: count}}``.
        """
        try:
            pending: dict[str, dict[str, int]] = json.loads(meta.get("pending") or "{}")
        except ValueError:
            pending = {}
        for (rid, token), delta in journal.intents.items():
            owners = pending.setdefault(rid, {})
            owners[token] = owners.get(token, 0) + delta
        reread = set()
        for rid, owners in list(pending.items()):
            # Gone writers are checked before the files are read (by the
            # caller): whatever they changed has landed by then.
            for token, count in list(owners.items()):
                if count <= 0 or not token_alive(token):
                    del owners[token]
            if not _RUN_ID.fullmatch(rid):
                owners.clear()  # a damaged line: it names no run folder
            else:
                reread.add(rid)
            if not owners:
                del pending[rid]
        # A pending run is read from its files: the summary on the journal
        # may predate the announced change.
        for rid in reread:
            journal.summaries.pop(rid, None)
        return reread, json.dumps(pending, sort_keys=True)

    def _journal_since(self, offset: int) -> _Journal:
        """The journal's complete lines from byte ``offset`` (all of it if it shrank)."""
        return _Journal.read(self.store.runs.journal_path, offset)

    def _journal_grew(self, offset: int) -> bool:
        """Whether the journal's size is no longer ``offset`` (one ``stat``, nothing read)."""
        try:
            return os.stat(self.store.runs.journal_path).st_size != offset
        except FileNotFoundError:
            return offset != 0

    def _runs_dir_mtime(self) -> int:
        try:
            return os.stat(self.store.runs.dir).st_mtime_ns
        except FileNotFoundError:
            return 0

    def _runs_stamp(self) -> str:
        """The mtime of ``runs/`` as the index keeps it, read before the listing it stands for.

        ``~<mtime>`` when the mtime was too young when read
        (:func:`~litetrack.store.fs.mtime_settled`): a folder added or removed later in the same clock
        tick would not change it, so such a stamp matches nothing and the next
        refresh compares the listing again.
        """
        read_at = time.time_ns()
        mtime = self._runs_dir_mtime()
        return str(mtime) if mtime_settled(mtime, read_at) else f"~{mtime}"

    # -- refresh / rebuild ------------------------------------------------------------
    def rebuild(
        self,
        discard: bool = False,
        progress: Callable[[str, int, int], None] | None = None,
        from_files: bool = True,
    ) -> int:
        """Rebuild from the documents; returns the number of runs indexed.

        The rebuild happens inside one write transaction (readers keep seeing
        the old rows until it commits). ``discard`` first deletes the files,
        for an index SQLite cannot open at all. ``progress(stage, done,
        total)`` is called as runs are read. ``from_files`` (``reindex``:
        runs may have been changed by hand) looks at every run's files; when
        False, the rows the journal carries are taken as they are (a missing
        or corrupt index rebuilt on the way to a search).
        """
        with FileLock(f"{self.path}.lock"):
            if discard:
                self._discard()
            return self._rebuild(progress, from_files)

    def _rebuild(
        self, progress: Callable[[str, int, int], None] | None = None, from_files: bool = False
    ) -> int:
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table in ("runs", "params", "tags", "metrics", "inputs", "meta", "filled_keys"):
                conn.execute(f"DROP TABLE IF EXISTS {table}")
            for stmt in (INDEX_SCHEMA + _META).split(";"):
                if stmt.strip():
                    conn.execute(stmt)
            # Read the journal position and folder mtime *before* scanning,
            # so anything changed during the scan is re-read next refresh.
            journal = self._journal_since(0)
            stamp = self._runs_stamp()
            _, pending = self._pending({}, journal)
            count = 0
            ids = list(self.store.runs.iter_ids())
            for i in range(0, len(ids), 2000):
                count += self._store_rows(conn, ids[i : i + 2000], None if from_files else journal)[0]
                if progress is not None:
                    progress("runs", min(i + 2000, len(ids)), len(ids))
            self._set_meta(
                conn, format_version=FORMAT_VERSION, journal_offset=journal.end, runs_mtime=stamp,
                built_at=int(time.time()), analyzed_runs=count, pending=pending,
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
        stamp = self._runs_stamp()
        if (
            not self._journal_grew(int(meta.get("journal_offset", 0)))
            and _same_listing(stamp, meta.get("runs_mtime"))
            and meta.get("pending", "{}") == "{}"
            and not conn.execute("SELECT 1 FROM runs WHERE status = 'RUNNING' LIMIT 1").fetchall()
        ):
            return
        conn.execute("BEGIN IMMEDIATE")
        self._ingest(conn, stamp)

    def _ingest(self, conn: sqlite3.Connection, stamp: str | None) -> None:
        """Ingest what changed, inside the write transaction the caller began; commit it.

        The journal since the index's offset always; with the runs folder's
        ``stamp`` (a reader's refresh, :meth:`_runs_stamp`) also the RUNNING
        runs and, when the folder changed (or may have), the runs added or
        removed by hand. ``None`` (a writer's catch-up) leaves those to the
        next refresh.
        """
        try:
            # Read the position inside the write transaction: another
            # process may have consumed part of the journal meanwhile.
            meta = self._meta(conn)
            journal = self._journal_since(int(meta.get("journal_offset", 0)))
            todo = set(journal.ids)
            reread, pending = self._pending(meta, journal)
            todo |= reread
            moved: dict[str, Any] = {"pending": pending}
            if stamp is not None:
                todo.update(r[0] for r in conn.execute("SELECT run_id FROM runs WHERE status = 'RUNNING'"))
                if not _same_listing(stamp, meta.get("runs_mtime")):
                    on_disk = set(self.store.runs.iter_ids())
                    indexed = {r[0] for r in conn.execute("SELECT run_id FROM runs")}
                    todo |= on_disk - indexed
                    todo |= indexed - on_disk
                moved["runs_mtime"] = stamp
            self._update(conn, todo, journal)
            self._set_meta(conn, journal_offset=journal.end, **moved)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._maybe_analyze(conn, meta)

    def catch_up(self) -> None:
        """Ingest the runs the journal named since the last ingest: a writer's share of the work.

        A process that ends many runs (a sweep) calls this every
        :data:`~litetrack.store.runs.INDEX_CATCH_UP_EVERY` runs (through
        ``Store``), so the first reader after the sweep finds little left to
        ingest. It builds the index if there is none, reads only the journal
        (RUNNING runs and the runs folder are left to readers' refreshes),
        and never waits for another process writing the index: it leaves the
        work to a reader instead.
        """
        conn = self._connect()
        if self._meta(conn).get("format_version") != str(FORMAT_VERSION):
            self.refresh()  # builds it (from the journal's rows)
            return
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return  # another process is writing the index
        finally:
            conn.execute("PRAGMA busy_timeout = 60000")
        self._ingest(conn, None)

    def _ensure_filled(self, conn: sqlite3.Connection, needed: set[tuple[str, str]]) -> None:
        """Fill the key/value rows of the (table, key) pairs a query reads, once per index.

        A query reads a missing key as NULL, so a key it uses must have its
        rows for every run before it runs; refresh keeps filled keys filled.
        """
        if not needed:
            return
        filled = self._filled_keys(conn)
        if all(key in filled[table] for table, key in needed):
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            filled = self._filled_keys(conn)
            todo: dict[str, set[str]] = {}
            for table, key in needed:
                if key not in filled[table]:
                    todo.setdefault(table, set()).add(key)
            for table, keys in todo.items():
                self._fill_keys(conn, table, keys, None)
                conn.executemany(
                    "INSERT INTO filled_keys(tbl, key) VALUES (?, ?)", [(table, k) for k in keys]
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        # The planner needs the new rows' statistics to pick the selective
        # predicate (exact ones: sampled statistics picked a 2x slower plan).
        # The key/value tables hold only the filled keys, so this stays short.
        for table in todo:
            conn.execute(f"ANALYZE {table}")

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
            self.rebuild(discard=True, from_files=False)
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
        self._ensure_filled(conn, _fields(expr, keys))
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
        try:
            return json.loads("[" + ",".join(texts) + "]"), more
        except ValueError as e:
            # Only a journal line edited by hand with its checksum put right
            # gets here; `reindex` reads every run from its files.
            raise sqlite3.DatabaseError(f"the index holds a damaged run view ({e})") from e

    def run_keys(
        self, experiment_ids: Sequence[str], stages: Sequence[str]
    ) -> dict[str, list[str]]:
        """Every param, metric and tag key of the runs of the experiments, sorted, per kind.

        One pass over the rows' JSON (about 1 s per 100,000 runs on a slow
        machine), so the answer is kept until the index changes: SQLite's
        ``data_version`` moves when another connection commits and
        ``total_changes`` when this one writes.
        """
        conn = self._ready()
        state = (
            tuple(experiment_ids), tuple(stages),
            conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes,
        )
        if self._keys is not None and self._keys[0] == state:
            return {kind: list(keys) for kind, keys in self._keys[1].items()}
        out: dict[str, list[str]] = {"params": [], "metrics": [], "tags": []}
        rows = conn.execute(
            "SELECT DISTINCT part.key, j.key FROM runs AS r, json_each(r.doc) AS part, "
            "json_each(part.value) AS j WHERE part.key IN ('params', 'metrics', 'tags') "
            "AND r.experiment_id IN (SELECT value FROM json_each(?)) "
            "AND r.lifecycle_stage IN (SELECT value FROM json_each(?)) AND json_valid(r.doc)",
            (json.dumps(list(experiment_ids)), json.dumps(list(stages))),
        )
        for kind, key in rows:
            out[kind].append(key)
        for keys in out.values():
            keys.sort()
        self._keys = (state, {kind: list(keys) for kind, keys in out.items()})
        return out

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


class _Journal:
    """The lines of ``changes.log`` from one offset: the run ids named, and the writers' summaries.

    A line is a run id, or a run id, a tab and the summary its writer left
    when it ended the run (:attr:`litetrack.store.runs.RunWriter.end_summary`).
    A summary counts only while it is the run's last line in the journal (a
    later line means a later change).

    Writers append ``"\\n" + line + "\\n"`` (:meth:`litetrack.store.runs.RunStore._journal`;
    stores written before that have no leading newline, and read the same):
    what a killed writer or a power loss left at the end (half a line,
    garbage, a run of NULs) becomes a line of its own once the next line
    comes, and spoils nothing else. Empty lines are skipped; a damaged line
    names no run folder, or carries a summary whose CRC-32 fails, or a token
    no live writer holds, and is read as such. Only complete lines are read
    (up to the last newline), so the offset the index keeps always follows
    a newline.
    """

    __slots__ = ("ids", "end", "summaries", "intents")

    def __init__(self) -> None:
        self.ids: set[str] = set()
        #: The byte after the last complete line read.
        self.end = 0
        #: Run id -> the summary on its last line, for the runs whose last line has one.
        self.summaries: dict[str, bytes] = {}
        #: (run id, writer token) -> changes announced minus changes confirmed
        #: (``<id>\t~<token>`` and ``<id>\t=<token>`` lines, see RunStore.intend).
        self.intents: dict[tuple[str, str], int] = {}

    @classmethod
    def read(cls, path: os.PathLike[str] | str, offset: int) -> _Journal:
        """The complete lines of the journal at ``path`` from byte ``offset``."""
        out = cls()
        try:
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size < offset:
                    offset = 0  # journal replaced (e.g. restored from a copy): read it all
                f.seek(offset)
                data = f.read(size - offset)
        except FileNotFoundError:
            return out
        end = data.rfind(b"\n") + 1
        out.end = offset + end
        # Each run's last line wins: a summary, or b"" for a plain line (a
        # later change voids an earlier summary). Built in C from the pairs.
        last = dict(line.partition(b"\t")[::2] for line in data[:end].split(b"\n"))
        last.pop(b"", None)  # the empty tail
        by_id = {rid.decode("ascii", "replace"): summary for rid, summary in last.items()}
        out.ids = set(by_id)
        out.summaries = {rid: summary for rid, summary in by_id.items() if summary}
        if b"\t~" in data or b"\t=" in data:
            # Announcements and confirmations are rare (changes to ended
            # runs): a line-by-line pass only when there are any.
            for line in data[:end].split(b"\n"):
                rid, _, payload = line.partition(b"\t")
                mark = payload[:1]
                if mark == b"~" or mark == b"=":
                    key = (rid.decode("ascii", "replace"), payload[1:].decode("utf-8", "replace"))
                    out.intents[key] = out.intents.get(key, 0) + (1 if mark == b"~" else -1)
        return out


def _parse_summary(line: bytes, run_id: str) -> tuple[dict[str, Any], tuple[Any, ...]] | None:
    """(head, index row) of a status record carrying a writer's summary of ``run_id``; None if it is none.

    The record is ``{"status", "end_time", "at", "doc", "row", "stats",
    "view"}`` on one line (:meth:`litetrack.store.runs.RunWriter.try_append_status`).
    Only the small head is parsed; the metric summaries and the view go into
    the index as written (checked with ``json_valid`` once the batch is in,
    see :meth:`SearchIndex._store_rows`). ``,"stats":`` and ``,"view":`` can
    only be the keys: inside a JSON string a quote is always escaped.
    """
    if not line.startswith(b'{"status":') or not line.endswith(b"}\n"):
        return None
    stats = line.find(b',"stats":')
    view = line.find(b',"view":', stats)
    if stats < 0 or view < 0:
        return None
    try:
        text = line[:stats].decode() + "}"
        head, end = _decode_head(text)
        if end != len(text) or not _row_ok(head["row"], run_id):
            return None
        return head, (*head["row"], line[stats + 9 : view].decode(), line[view + 8 : -2].decode())
    except (ValueError, KeyError, TypeError):
        return None


def _row_ok(row: Any, run_id: str) -> bool:
    """Whether a writer's row is one the index takes as is (else the run is read the slow way)."""
    return (
        type(row) is list
        and len(row) == 11
        and row[0] == run_id
        and row[3] in _TERMINAL
        # The slow path leaves a time beyond 64 bits out, with a warning.
        and all(t is None or (type(t) is int and _INT64_MIN <= t <= _INT64_MAX) for t in row[4:6])
    )


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
