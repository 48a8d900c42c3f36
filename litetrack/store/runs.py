"""Runs: ``runs/<run_id>/run.json`` plus the append-only ``runs/<run_id>/log.jsonl``.

The document holds the run's info, params, tags and a summary of each metric
(latest point, min, max, first, count) as of byte ``log_offset`` of the log.
Everything logged while the run is live (metrics, params, tags) is *appended*
to the log, one record per line, with a single ``write`` call: a process
killed at any instant loses nothing it already logged, and logging costs a
few microseconds. Readers fold the part of the log past ``log_offset`` into
the document they read; ending a run appends a status record or folds the
log into the document (see :meth:`RunStore.set_status`).

The record formats and the folding live in :mod:`litetrack.store.runlog`.

A line without its newline at the end of the log (a writer killed mid-write on
a filesystem that tore the write) is skipped with a warning, never a crash.

Every change to a run that is not RUNNING, and every document rewrite, is also
recorded as the run id in ``<store>/changes.log``, which the search index
consumes to stay up to date (RUNNING runs are always re-read by the index).
Each line is appended as a newline, the line, a newline (one ``write``): a
line torn by a writer killed mid-append, or garbage left by a power loss,
then spoils only itself, never the next process's line (see
:meth:`RunStore._journal`).
"""

from __future__ import annotations

import errno
import getpass
import json
import logging
import os
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from litetrack import clock
from litetrack.entities import (
    LifecycleStage,
    Metric,
    Run,
    RunStatus,
)
from litetrack.errors import (
    CorruptDocument,
    InvalidArgument,
    InvalidState,
    ParamConflict,
    RunNotFound,
    StoreError,
    TagNotFound,
)
from litetrack.store.docs import read_doc
from litetrack.store.fs import (
    append_whole,
    dumps,
    lock_fd,
    needs_newline,
    open_append,
    stat_key,
    write_json,
)
from litetrack.store.procs import hostname, own_start_time, owner_token, process_alive
from litetrack.store.runlog import RUN_NAME_TAG as RUN_NAME_TAG
from litetrack.store.runlog import apply_metric, apply_records, metric_point
from litetrack.store.runlog import artifact_sizes as artifact_sizes
from litetrack.store.runlog import doc_to_run as doc_to_run
from litetrack.store.runlog import effective_status as effective_status
from litetrack.store.runlog import fold_log as fold_log
from litetrack.store.runlog import index_row_json as index_row_json
from litetrack.store.runlog import index_stats_json as index_stats_json
from litetrack.store.runlog import index_view_json as index_view_json
from litetrack.store.runlog import input_key as input_key
from litetrack.store.runlog import read_log_records as read_log_records
from litetrack.store.runlog import run_view as run_view
from litetrack.store.runlog import view_metric as view_metric
from litetrack.validation import (
    validate_key,
    validate_metric_value,
    validate_param_value,
    validate_run_id,
    validate_step,
    validate_tag_value,
    validate_timestamp,
)

logger = logging.getLogger(__name__)

#: Ending a run appends a status record instead of rewriting run.json when
#: the log holds at most this many bytes beyond the document.
FOLD_ON_END_BYTES = 64 * 1024
#: A process that ends this many runs (a sweep) brings the search index up to
#: date itself, from the journal, about 15 us a run: the first reader after
#: the sweep then ingests at most this many.
INDEX_CATCH_UP_EVERY = 500
RUN_DOC = "run.json"
RUN_LOG = "log.jsonl"
PARENT_TAG = "mlflow.parentRunId"
NOTE_TAG = "mlflow.note.content"
USER_TAG = "mlflow.user"

_user: str | None = None


def current_user() -> str:
    """The login name recorded as a run's ``user_id`` (cached)."""
    global _user
    if _user is None:
        try:
            _user = getpass.getuser()
        except Exception:  # noqa: BLE001 - no passwd entry in some containers
            _user = "unknown"
    return _user


def _dump_str(value: str) -> str:
    # Most params and tags are plain printable ASCII: quoting them needs no
    # escaping, and json.dumps costs ~1.5 us per value on the run hot path.
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return json.dumps(value, ensure_ascii=False)


def _float_json(value: float) -> str:
    # repr() is the shortest round-tripping form; NaN and infinities need
    # the spellings Python's json module reads back.
    if value - value == 0:
        return repr(value)
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"




# -- the store --------------------------------------------------------------------


class RunStore:
    """``<store>/runs/``: create runs, read them folded, rewrite their documents."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dir = root / "runs"
        # String paths on the hot paths: pathlib costs ~5 us per join.
        self._dir = str(self.dir)
        self.journal_path = root / "changes.log"
        self._writers: dict[str, RunWriter] = {}
        self._journal_fd: int | None = None
        self._journal_pid = -1
        #: Called every INDEX_CATCH_UP_EVERY runs this process ends (the store
        #: brings the search index up to date, see Store._index_catch_up).
        self.on_ends: Callable[[], None] | None = None
        self._ended = 0
        self._dir_ready = False

    # -- paths and journal --------------------------------------------------
    def run_dir(self, run_id: str) -> Path:
        """The folder of a run (the id is validated first: it becomes a path)."""
        return self.dir / validate_run_id(run_id)

    def changed(self, run_id: str, summary: bytes | None = None, done: bytes | None = None) -> None:
        """Record in the journal that a run's document or terminal log changed.

        ``summary`` (from :attr:`RunWriter.end_summary`): the run was just
        ended by its own writer, and the line carries the run's index row so
        that the index ingests it without opening the run's files (see
        :mod:`litetrack.store.index`). ``done``: the token :meth:`intend`
        returned before the change, which this line confirms. One append
        either way.
        """
        if done is not None:
            self._journal(run_id, b"\t=" + done + b"\n")
        else:
            self._journal(run_id, b"\t" + summary if summary else b"\n")

    def intend(self, run_id: str) -> bytes:
        """Announce in the journal a change about to be made to a run; returns the token for ``changed(done=)``.

        The line after a change can be lost to a kill between the two; the
        change would then be invisible to the search index until the run
        changes again. A change to a run the index may hold as ended (a
        document rewrite, an append to an ended run) is therefore announced
        first: the index re-reads the run at every refresh until the line
        confirming it arrives, or its writer is dead (see
        :mod:`litetrack.store.index`).
        """
        token = owner_token().encode()
        self._journal(run_id, b"\t~" + token + b"\n", before=True)
        return token

    def _unannounce(self, run_id: str, token: bytes) -> None:
        """Confirm an announced change that failed (nothing changed), if the journal takes it.

        If it does not, the index keeps re-reading the run until this process ends.
        """
        try:
            self.changed(run_id, done=token)
        except StoreError:
            pass

    def _journal(self, run_id: str, rest: bytes, before: bool = False) -> None:
        """Append the journal line ``<run id><rest>`` (``rest`` ends with a newline).

        It is written with a newline before it, in one ``write``: a writer killed
        mid-append (or a machine that lost power) can leave a torn line, or
        garbage, without a newline at the end of the journal, and the next
        append would be glued onto it and lost with it. Starting each line
        with a newline makes the torn bytes a line of their own, which
        readers skip (:class:`litetrack.store.index._Journal`); the empty line
        this leaves between whole lines costs a byte and is skipped too. One
        byte instead of a check of the journal's last byte (a system call),
        which would not do anyway: another writer can tear a line between
        the check and the append.
        """
        pid = os.getpid()
        if self._journal_fd is None or self._journal_pid != pid:
            # A forked child must not share the parent's descriptor
            # bookkeeping; O_APPEND keeps each line whole either way.
            self._journal_fd = open_append(self.journal_path)
            self._journal_pid = pid
        try:
            append_whole(self._journal_fd, b"\n" + run_id.encode() + rest)
        except OSError as e:
            outcome = (
                "nothing was changed" if before
                else "the run itself was written (`python -m litetrack reindex` catches the index up)"
            )
            raise StoreError(
                f"Could not record a change of run {run_id!r} in {self.journal_path}: {e}; {outcome}",
                run_id=run_id,
                path=str(self.journal_path),
            ) from e

    # -- reading ----------------------------------------------------------------
    def read_raw(self, run_id: str) -> dict[str, Any]:
        """The validated document as written, without the log folded in."""
        path = f"{self._dir}/{validate_run_id(run_id)}/{RUN_DOC}"
        try:
            return read_doc(path, "run")
        except FileNotFoundError:
            # MLflow's words first ("Run with id=x not found"), which code written for
            # MLflow may match, then where litetrack looked.
            raise RunNotFound(
                f"Run with id={run_id} not found in store {str(self.root)!r}", run_id=run_id
            ) from None
        except NotADirectoryError:
            raise RunNotFound(f"Run with id={run_id} not found", run_id=run_id) from None

    def read(self, run_id: str) -> dict[str, Any]:
        """The run document with everything logged so far folded in."""
        doc = self.read_raw(run_id)
        return fold_log(doc, f"{self._dir}/{run_id}/{RUN_LOG}")

    def get(self, run_id: str) -> Run:
        """The public :class:`Run` for ``run_id``; :class:`RunNotFound` if none."""
        return doc_to_run(self.read(run_id))

    def exists(self, run_id: str) -> bool:
        """Whether a run document exists for ``run_id``."""
        return (self.run_dir(run_id) / RUN_DOC).exists()

    def iter_ids(self) -> Iterator[str]:
        """Ids of every run folder holding a document (any lifecycle stage)."""
        try:
            entries = os.scandir(self.dir)
        except FileNotFoundError:
            return
        with entries:
            for entry in entries:
                if not entry.name.startswith(".") and entry.is_dir():
                    yield entry.name

    def iter_docs(self, on_error: Callable[[str, Exception], None] | None = None) -> Iterator[dict[str, Any]]:
        """Every run document, folded. Corrupt ones go to ``on_error`` (or raise)."""
        for run_id in self.iter_ids():
            try:
                yield self.read(run_id)
            except RunNotFound:
                continue  # a folder being created or removed
            except CorruptDocument as e:
                if on_error is None:
                    raise
                on_error(run_id, e)

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every point logged for ``key``, in the order logged."""
        self.read_raw(run_id)  # RunNotFound for unknown ids
        return self.all_metric_histories(run_id, only=key).get(key, [])

    def all_metric_histories(self, run_id: str, only: str | None = None) -> dict[str, list[Metric]]:
        """Every metric's history for a run (one pass over the log); ``only`` one key.

        Records of the wrong shape are skipped with a warning, as the fold does.
        """
        log_path = self.dir / validate_run_id(run_id) / RUN_LOG
        records, _ = read_log_records(log_path)
        out: dict[str, list[Metric]] = {}
        for r in records:
            if "key" in r and (only is None or r["key"] == only):
                try:
                    k, value, ts, step = metric_point(r)
                except (KeyError, ValueError) as e:
                    logger.warning("Skipping a malformed record in %s (%s): %.200r", log_path, e, r)
                    continue
                out.setdefault(k, []).append(Metric(k, value, ts, step))
        return out

    # -- writing ----------------------------------------------------------------
    def create(
        self,
        experiment_id: str,
        *,
        run_name: str | None = None,
        start_time: int | None = None,
        tags: dict[str, str] | None = None,
        parent_run_id: str | None = None,
        user_id: str | None = None,
        run_id: str | None = None,
    ) -> RunWriter:
        """Create a RUNNING run owned by this process; return its writer."""
        if not self._dir_ready:
            self.dir.mkdir(parents=True, exist_ok=True)
            self._dir_ready = True
        run_id = validate_run_id(run_id) if run_id else uuid.uuid4().hex
        if start_time is not None:
            start_time = validate_timestamp(start_time, "start_time")
        run_dir = f"{self._dir}/{run_id}"
        try:
            os.mkdir(run_dir)
        except FileExistsError:
            raise InvalidArgument(f"A run with id {run_id!r} already exists") from None
        tags = dict(tags or {})
        if run_name is None:
            run_name = tags.get(RUN_NAME_TAG) or _generate_run_name()
        tags[RUN_NAME_TAG] = run_name
        user_id = user_id or tags.get(USER_TAG) or current_user()
        if parent_run_id:
            tags[PARENT_TAG] = parent_run_id
        doc: dict[str, Any] = {
            "schema_version": 1,
            "run_id": run_id,
            "experiment_id": experiment_id,
            "run_name": run_name,
            "user_id": user_id,
            "status": RunStatus.RUNNING,
            "start_time": start_time if start_time is not None else clock.now_ms(),
            "end_time": None,
            "lifecycle_stage": LifecycleStage.ACTIVE,
            "deleted_time": None,
            "artifact_uri": f"runs:/{run_id}",
            "pid": os.getpid(),
            "host": hostname(),
            "proc_start": own_start_time(),
            "parent_run_id": parent_run_id,
            "params": {},
            "tags": tags,
            "metrics": {},
            "log_offset": 0,
            "inputs": [],
        }
        st = write_json(f"{run_dir}/{RUN_DOC}", doc)
        self.changed(run_id)
        writer = RunWriter(self, run_id, doc)
        writer.doc_cache = (stat_key(st), doc)
        # The log does not exist yet: everything in it will be ours.
        writer.shadow, writer.known_size = _copy_doc(doc), 0
        self._remember(run_id, writer)
        return writer

    def _remember(self, run_id: str, writer: RunWriter) -> None:
        # Bound the open descriptors of a long-lived client that touches
        # many runs; the oldest writer is closed (it can reopen its log).
        if len(self._writers) >= 256:
            oldest = next(iter(self._writers))
            self._writers.pop(oldest).close()
        self._writers[run_id] = writer

    def writer(self, run_id: str) -> RunWriter:
        """The (cached) writer of an existing run, for logging to it by id."""
        w = self._writers.get(run_id)
        if w is None:
            doc = self.read(run_id)
            w = RunWriter(self, run_id, doc)
            self._remember(run_id, w)
        return w

    def release(self, run_id: str) -> None:
        """Close and forget the cached writer of a run (after end_run)."""
        w = self._writers.pop(run_id, None)
        if w is not None:
            w.close()

    def update_doc(self, run_id: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        """Read-modify-write a run document under the run's lock; return the new document.

        The log is folded first, so the rewritten document loses nothing.
        """
        run_dir = f"{self._dir}/{validate_run_id(run_id)}"
        try:
            dir_fd = lock_fd(run_dir, folder=True)
        except FileNotFoundError:
            raise RunNotFound(
                f"Run with id={run_id} not found in store {str(self.root)!r}", run_id=run_id
            ) from None
        w = self._writers.get(run_id)
        doc_path = f"{run_dir}/{RUN_DOC}"
        try:
            doc = None
            if w is not None and w.doc_cache is not None:
                # The document we wrote last is still the one on disk (same
                # inode, size and mtime): skip reading and re-validating it.
                key, cached = w.doc_cache
                w.doc_cache = None  # invalid if change() fails below
                try:
                    if stat_key(os.stat(doc_path)) == key:
                        doc = fold_log(cached, f"{run_dir}/{RUN_LOG}")
                except FileNotFoundError:
                    pass
            if doc is None:
                doc = self.read(run_id)
            owner = _live_owner_elsewhere(doc)
            change(doc)
            # Announced first: a kill after the rewrite but before the line
            # below must not leave the index unaware of it.
            token = self.intend(run_id)
            if owner is not None and (doc["status"] != RunStatus.RUNNING or _owner(doc) != owner):
                # Another live process of this machine owns the run and
                # appends to its log without journaling (it is RUNNING and
                # its own): announce a change on its behalf that only its
                # end confirms, so the index re-reads the run until then.
                self._journal(run_id, b"\t~" + owner.encode() + b"\n", before=True)
            try:
                st = write_json(doc_path, doc, replacing=True)
            except OSError as e:
                self._unannounce(run_id, token)
                if isinstance(e, StoreError):
                    raise
                raise StoreError(
                    f"Could not rewrite the document of run {run_id!r} ({doc_path}): "
                    f"{errno.errorcode.get(e.errno or 0, 'error')} {e.strerror or e}; "
                    "the run is unchanged",
                    run_id=run_id,
                    path=doc_path,
                    errno_name=errno.errorcode.get(e.errno or 0),
                ) from e
        finally:
            os.close(dir_fd)  # closing releases the flock
        self.changed(run_id, done=token)
        if w is not None:
            w.sync_state(doc)
            w.doc_cache = (stat_key(st), doc)
        return doc

    def set_status(self, run_id: str, status: str, end_time: int | None = None) -> dict[str, Any] | None:
        """Set a run's status; terminal statuses record ``end_time`` (now by default).

        A run this process owns and whose log holds little that is not yet in
        its document is ended with one appended ``{"status": ...}`` record
        instead of a document rewrite: ending a run then costs one write, and
        a reader folds at most :data:`FOLD_ON_END_BYTES` of log. Returns the new
        document when it was rewritten.
        """
        status = RunStatus.from_string(RunStatus.to_string(status))
        if end_time is not None:
            end_time = validate_timestamp(end_time, "end_time")
        w = self._writers.get(run_id)
        if w is not None and w.try_append_status(status, end_time):
            self.changed(run_id, w.end_summary)
            summarized = w.end_summary is not None
            if summarized and not w.unchanged_since_end():
                # Another process changed the run while its end was being
                # announced: a plain line after the summary voids it.
                self.changed(run_id)
            if status in RunStatus.TERMINAL:
                # Ending a run, by any path, closes the log it opened.
                self.release(run_id)
            if summarized and self.on_ends is not None:
                self._ended += 1
                if self._ended >= INDEX_CATCH_UP_EVERY:
                    self._ended = 0
                    self.on_ends()
            return None

        def change(doc: dict[str, Any]) -> None:
            doc["status"] = status
            if end_time is not None:
                doc["end_time"] = end_time  # kept whatever the status, as in MLflow
            elif status in RunStatus.TERMINAL:
                doc["end_time"] = clock.now_ms()
            else:
                doc["end_time"] = None

        doc = self.update_doc(run_id, change)
        if status in RunStatus.TERMINAL:
            self.release(run_id)
        return doc

    def resume(self, run_id: str) -> RunWriter:
        """Make this process the owner of an existing run and set it RUNNING."""

        def change(doc: dict[str, Any]) -> None:
            if doc.get("lifecycle_stage") == LifecycleStage.DELETED:
                raise InvalidState(
                    f"Cannot start run with ID {run_id} because it is in the deleted state "
                    "(restore it with MlflowClient().restore_run first)"
                )
            doc["status"] = RunStatus.RUNNING
            doc["end_time"] = None
            doc["pid"] = os.getpid()
            doc["host"] = hostname()
            doc["proc_start"] = own_start_time()

        self.update_doc(run_id, change)
        return self.writer(run_id)

    def set_lifecycle(self, run_id: str, stage: str) -> dict[str, Any]:
        """Soft-delete or restore a run."""

        def change(doc: dict[str, Any]) -> None:
            doc["lifecycle_stage"] = stage
            doc["deleted_time"] = clock.now_ms() if stage == LifecycleStage.DELETED else None

        return self.update_doc(run_id, change)

    def remove(self, run_id: str) -> None:
        """Permanently delete a run folder (gc only)."""
        import shutil

        self.release(run_id)
        shutil.rmtree(self.run_dir(run_id), ignore_errors=True)
        self.changed(run_id)


def _copy_doc(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of a run document as a reader gets it back from disk.

    Its own dicts (a fold changes them), with keys in the sorted order the
    document is written in: the index row built from it must be the same
    text a reader builds.
    """
    out = dict(doc)
    out["params"] = dict(sorted((doc.get("params") or {}).items()))
    out["tags"] = dict(sorted((doc.get("tags") or {}).items()))
    out["metrics"] = {k: dict(v) for k, v in sorted((doc.get("metrics") or {}).items())}
    inputs = doc.get("inputs") or []
    out["inputs"] = json.loads(dumps(inputs)) if inputs else []
    if "artifacts" in doc:
        out["artifacts"] = dict(sorted(doc["artifacts"].items()))
    return out


def _owner(doc: dict[str, Any]) -> str:
    """The :func:`~litetrack.store.procs.owner_token` of the process a run document names."""
    return f"{doc.get('pid')} {doc.get('proc_start') or '-'} {doc.get('host')}"


def _live_owner_elsewhere(doc: dict[str, Any]) -> str | None:
    """The owner token of a RUNNING run owned by another live process of this machine, else None."""
    if doc.get("status") != RunStatus.RUNNING or doc.get("host") != hostname():
        return None
    pid = doc.get("pid")
    if type(pid) is not int or pid == os.getpid():
        return None
    return _owner(doc) if process_alive(pid, doc["host"], doc.get("proc_start")) else None


def _needs_journal(doc: dict[str, Any]) -> bool:
    """Whether appends to this run must be announced in the changes journal.

    The search index re-reads RUNNING runs on its own, but only while they
    are alive; appends to any other run (finished, or RUNNING but owned by
    another process, possibly a dead one) are journaled.
    """
    return not (
        doc["status"] == RunStatus.RUNNING
        and doc.get("pid") == os.getpid()
        and doc.get("host") == hostname()
    )


class RunWriter:
    """Appends to one run's log. One per run per process, cached by the store.

    ``terminal`` is True when every append must also be journaled (see
    :func:`_needs_journal`). ``shadow`` is the folded document as of byte
    ``known_size`` of the log while every byte of the log is known to this
    writer (None once that is not sure): ending the run then writes the
    run's search-index row into its status record, so the index ingests it
    from the log's last line instead of reading and folding the run.
    """

    __slots__ = (
        "store", "run_id", "log_path", "params", "tags", "terminal", "deleted", "doc_cache",
        "_fd", "_prefix", "_fresh_line", "shadow", "known_size", "end_summary", "_end_keys",
    )

    def __init__(self, store: RunStore, run_id: str, doc: dict[str, Any]) -> None:
        self.store = store
        self.run_id = run_id
        self.log_path = f"{store._dir}/{run_id}/{RUN_LOG}"
        self.params: dict[str, str] = dict(doc.get("params") or {})
        self.tags: dict[str, str] = dict(doc.get("tags") or {})
        self.terminal = _needs_journal(doc)
        self.deleted = doc.get("lifecycle_stage") == LifecycleStage.DELETED
        self._fd: int | None = None
        #: Whether the next append must first check for a torn last line.
        self._fresh_line = True
        self._prefix: dict[str, bytes] = {}
        #: (stat key, document) of the last version this process wrote.
        self.doc_cache: tuple[tuple[int, int, int], dict[str, Any]] | None = None
        self.shadow: dict[str, Any] | None = None
        self.known_size = -1
        #: What :meth:`try_append_status` leaves for the changes journal: the
        #: CRC-32, then the ended run's index row, metric summaries and view,
        #: tab-separated.
        self.end_summary: bytes | None = None
        self._end_keys: tuple[Any, Any] | None = None

    def sync_state(self, doc: dict[str, Any]) -> None:
        """Refresh the cached status flags after the document was rewritten."""
        self.terminal = _needs_journal(doc)
        self.deleted = doc.get("lifecycle_stage") == LifecycleStage.DELETED
        self.params = dict(doc.get("params") or {})
        self.tags = dict(doc.get("tags") or {})
        # The rewritten document folds the whole log up to its log_offset.
        self.shadow, self.known_size = _copy_doc(doc), doc.get("log_offset", 0)

    def _open(self) -> int:
        fd = open_append(self.log_path)
        self._fd = fd
        self._fresh_line = True
        return fd

    def _check_writable(self) -> None:
        if self.deleted:
            raise InvalidState(
                # MLflow's words first ("The run x must be in the 'active' state")
                f"The run {self.run_id} must be in the 'active' state to be logged to; "
                "it is deleted (restore it first)",
                run_id=self.run_id,
                error_code="INVALID_PARAMETER_VALUE",  # MLflow's code for it
            )

    def _write(self, data: bytes, parsed: bool = False) -> None:
        """Append whole records, or raise :class:`StoreError` with nothing of them kept.

        ``parsed``: the caller applies the records to ``shadow`` itself.
        """
        fd = self._fd if self._fd is not None else self._open()
        # An append to a run the index may hold as ended is announced first
        # (see RunStore.intend); a RUNNING run of ours is re-read anyway.
        token = self.store.intend(self.run_id) if self.terminal else None
        try:
            if self._fresh_line:
                size = os.fstat(fd).st_size
                if size != self.known_size:
                    self.shadow = None  # bytes this writer did not write
                # A writer killed mid-write (or a short write that could not
                # be cut off) may have left a torn last line: start on a
                # fresh line so our record is not glued onto it.
                if size and needs_newline(self.log_path):
                    data = b"\n" + data
                self._fresh_line = False
            append_whole(fd, data)
        except OSError as e:
            self._fresh_line = True
            self.shadow = None
            if token is not None:
                self.store._unannounce(self.run_id, token)
            raise StoreError(
                f"Could not append to the log of run {self.run_id!r} ({self.log_path}): "
                f"{errno.errorcode.get(e.errno or 0, 'error')} {e.strerror or e}; nothing of this "
                "call was recorded (free space and log again)",
                run_id=self.run_id,
                path=self.log_path,
                errno_name=errno.errorcode.get(e.errno or 0),
            ) from e
        if self.shadow is not None:
            self.known_size += len(data)
            if not parsed and not apply_records(self.shadow, data):
                self.shadow = None
        if token is not None:
            self.store.changed(self.run_id, done=token)

    def close(self) -> None:
        """Close the log descriptor (the writer can still reopen it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # -- metrics -------------------------------------------------------------------
    def log_metric(
        self, key: str, value: Any, timestamp: int | None = None, step: int | None = None
    ) -> None:
        """Append one metric point (validated first; nothing written on error)."""
        if self.deleted:
            self._check_writable()
        try:
            prefix = self._prefix.get(key)
        except TypeError:  # unhashable: validate_key says what is wrong
            prefix = None
        if prefix is None:
            validate_key(key, "metric key")
            prefix = self._prefix[key] = b'{"key":"' + key.encode() + b'","value":'
        if type(value) is not float:
            value = validate_metric_value(key, value)
        ts = clock.now_ms() if timestamp is None else validate_timestamp(timestamp)
        step = 0 if step is None else (step if type(step) is int else validate_step(step))
        self._write(prefix + f'{_float_json(value)},"timestamp":{ts},"step":{step}}}\n'.encode(), True)
        if self.shadow is not None:
            apply_metric(self.shadow["metrics"], key, value, ts, step)

    def _metric_lines(self, metrics: Iterable[Any]) -> tuple[list[bytes], list[tuple[str, float, int, int]]]:
        lines, points = [], []
        for m in metrics:
            key = validate_key(m.key, "metric key")
            value = validate_metric_value(key, m.value)
            ts = validate_timestamp(m.timestamp) if m.timestamp is not None else clock.now_ms()
            step = validate_step(m.step)
            lines.append(
                f'{{"key":"{key}","value":{_float_json(value)},"timestamp":{ts},"step":{step}}}\n'.encode()
            )
            points.append((key, value, ts, step))
        return lines, points

    # -- params and tags -------------------------------------------------------
    def _param_lines(self, params: dict[str, Any]) -> tuple[list[bytes], dict[str, str]]:
        lines: list[bytes] = []
        new: dict[str, str] = {}
        for key, value in params.items():
            key = validate_key(key, "param key")
            text = validate_param_value(key, value)
            old = self.params.get(key, new.get(key))
            if old is not None:
                if old != text:
                    raise ParamConflict(
                        # MLflow's words first, as code may match them.
                        f"Changing param values is not allowed. Param with key={key!r} was "
                        f"already logged with value={old!r} for run ID={self.run_id!r}. "
                        f"Attempted logging new value {text!r} (use a tag or a new run)",
                        key=key,
                    )
                continue
            new[key] = text
            lines.append(f'{{"param":"{key}","value":{_dump_str(text)}}}\n'.encode())
        return lines, new

    def _tag_lines(self, tags: dict[str, Any]) -> tuple[list[bytes], dict[str, str]]:
        lines, new = [], {}
        for key, value in tags.items():
            key = validate_key(key, "tag key")
            text = validate_tag_value(key, value)
            new[key] = text
            lines.append(f'{{"tag":"{key}","value":{_dump_str(text)}}}\n'.encode())
        return lines, new

    def log_batch(
        self,
        metrics: Iterable[Any] = (),
        params: dict[str, Any] | None = None,
        tags: dict[str, Any] | None = None,
    ) -> None:
        """Validate everything, then append it all with one write."""
        self._check_writable()
        lines, points = self._metric_lines(metrics)
        param_lines, new_params = self._param_lines(params or {})
        tag_lines, new_tags = self._tag_lines(tags or {})
        data = b"".join(param_lines + tag_lines + lines)
        if data:
            # The records are applied to the shadow from the values, not by
            # parsing the bytes back (a third of a sweep's CPU did that).
            self._write(data, parsed=True)
            shadow = self.shadow
            if shadow is not None:
                shadow["params"].update(new_params)
                shadow["tags"].update(new_tags)
                if RUN_NAME_TAG in new_tags:
                    shadow["run_name"] = new_tags[RUN_NAME_TAG]
                for point in points:
                    apply_metric(shadow["metrics"], *point)
        self.params.update(new_params)
        self.tags.update(new_tags)
        if RUN_NAME_TAG in new_tags:
            name = new_tags[RUN_NAME_TAG]
            self.store.update_doc(self.run_id, lambda d: d.__setitem__("run_name", name))

    def log_params(self, params: dict[str, Any]) -> None:
        """Log several params at once (one write)."""
        self.log_batch(params=params)

    def set_tags(self, tags: dict[str, Any]) -> None:
        """Set several tags at once (one write)."""
        self.log_batch(tags=tags)

    def log_artifact_records(self, entries: Iterable[tuple[str, str, int]]) -> None:
        """Record (artifact path, digest, size) entries with one write.

        The blobs must already be in the object store: the blob is committed
        first, the reference after it (a crash leaves at worst an orphan blob).
        """
        self._check_writable()
        data = b"".join(
            f'{{"artifact":{json.dumps(path)},"digest":"{digest}","size":{size}}}\n'.encode()
            for path, digest, size in entries
        )
        if data:
            self._write(data)

    def log_records(self, records: Iterable[dict[str, Any]], tags: dict[str, Any] | None = None) -> None:
        """Append structured records (``source``, ``environment``, ``input``) and tags with one write.

        One write keeps ``start_run`` cheap and makes the capture all-or-nothing
        against a kill. Raises :class:`InvalidArgument` for another record kind.
        """
        self._check_writable()
        lines = []
        for rec in records:
            if len(rec) != 1 or next(iter(rec)) not in _STRUCTURED_KINDS:
                raise InvalidArgument(
                    f"Unknown run log record {sorted(rec)!r}: expected one of {sorted(_STRUCTURED_KINDS)}"
                )
            lines.append(json.dumps(rec, separators=(",", ":"), ensure_ascii=False).encode() + b"\n")
        tag_lines, new_tags = self._tag_lines(tags or {})
        data = b"".join(tag_lines + lines)
        if data:
            self._write(data)
        self.tags.update(new_tags)

    def try_append_status(self, status: str, end_time: int | None) -> bool:
        """End the run by appending a status record, if cheap for readers; True if done.

        When every byte of the log is this writer's, the record carries the
        run's search-index row and :attr:`end_summary` is set for the
        journal line that announces the end.
        """
        self.end_summary = self._end_keys = None
        if self.terminal or self.deleted or self._fd is None or self.doc_cache is None:
            return False
        offset = self.doc_cache[1].get("log_offset", 0)
        size = os.fstat(self._fd).st_size
        if size - offset > FOLD_ON_END_BYTES:
            return False  # a long history: fold it into the document once
        if status in RunStatus.TERMINAL:
            end = end_time if end_time is not None else clock.now_ms()
            record = f'{{"status":"{status}","end_time":{end}'
            shadow = self.shadow
            key = self.doc_cache[0]
            summary: tuple[str, str, str] | None = None
            if shadow is not None and size == self.known_size and not self._fresh_line:
                # Every byte of the log is ours: the index row of the ended
                # run is known here. A reader of the log trusts it only while
                # the record is the last line, starts at byte "at" and the
                # document is still version "doc" (litetrack.store.index).
                shadow["status"], shadow["end_time"] = status, end
                summary = (index_row_json(shadow), index_stats_json(shadow), index_view_json(shadow))
                record += (
                    f',"at":{size},"doc":[{key[0]},{key[1]},{key[2]}],"row":{summary[0]},'
                    f'"stats":{summary[1]},"view":{summary[2]}'
                )
            else:
                self.shadow = None
            data = (record + "}\n").encode()
            # self.terminal is False here: set_status journals the change itself.
            self._write(data, parsed=True)
            self.terminal = True
            if summary is not None and self._fd is not None:
                log_key = stat_key(os.fstat(self._fd))
                # The journal line carries the row only if no other process's
                # append slipped in around ours and the document is still the
                # version this writer wrote (unchanged_since_end checks again
                # once the line is written).
                if log_key[1] == size + len(data) and self._doc_key() == key:
                    self._end_keys = (log_key, key)
                    body = "\t".join(summary).encode()
                    # The CRC-32 lets the index tell a torn or damaged line
                    # from the JSON it takes in without parsing (~0.4 us).
                    self.end_summary = b"%08x\t%s\n" % (zlib.crc32(body), body)
        else:
            # An explicit end time is kept whatever the status, as in MLflow.
            end_json = "null" if end_time is None else str(int(end_time))
            self._write(f'{{"status":"{status}","end_time":{end_json}}}\n'.encode())
        return True

    def _doc_key(self) -> tuple[int, int, int] | None:
        try:
            return stat_key(os.stat(f"{self.store._dir}/{self.run_id}/{RUN_DOC}"))
        except OSError:
            return None

    def unchanged_since_end(self) -> bool:
        """Whether the log and the document are still as :meth:`try_append_status` left them.

        Checked after the journal line carrying :attr:`end_summary` is
        written: a change by another process before this check may have been
        journaled before that line (and would be shadowed by it); any change
        after it is journaled after it.
        """
        if self._end_keys is None or self._fd is None:
            return False
        try:
            log_key = stat_key(os.fstat(self._fd))
        except OSError:
            return False
        return (log_key, self._doc_key()) == self._end_keys

    def delete_tag(self, key: str) -> None:
        """Delete a tag; :class:`TagNotFound` if the run has no such tag (as MLflow)."""
        self._check_writable()
        key = validate_key(key, "tag key")
        if key not in self.tags:
            raise TagNotFound(
                f"No tag with name: {key!r} in run with id {self.run_id!r}; existing tags: "
                f"{sorted(self.tags) or 'none'}"
            )
        self._write(f'{{"tag":"{key}","deleted":true}}\n'.encode())
        del self.tags[key]


#: Record kinds :meth:`RunWriter.log_records` accepts (each folded by ``_apply_record``).
_STRUCTURED_KINDS = frozenset({"source", "environment", "input"})

_ADJECTIVES = (
    "amber bold brave bright calm clever crisp dapper eager fair gentle glad "
    "grand honest jolly keen kind lively lucky merry mild neat nimble noble "
    "polite proud quick quiet rare sharp shy silent smart sunny swift tidy vast warm wise"
).split()
_NOUNS = (
    "ant bass bat bear bee bird boar calf carp cat colt crab crane deer dog dove "
    "duck eel elk finch fish fox frog gnu goat hare hawk hen horse jay koi lamb "
    "lark lion lynx mole moth mouse mule newt owl ox panda pig pug ram rat seal "
    "shark sheep shrew skunk sloth snail snake squid stag swan toad trout wasp whale wolf worm yak"
).split()


def _generate_run_name() -> str:
    # MLflow names runs "adjective-noun-NNN" when none is given.
    import random

    return f"{random.choice(_ADJECTIVES)}-{random.choice(_NOUNS)}-{random.randrange(1000)}"
