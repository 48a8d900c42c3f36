"""``verify``: compare what the documents say with what is on disk.

:func:`verify` reads every document and log and every referenced blob, and
reports what is wrong; with ``fix=True`` it repairs only what is safe. Each
:class:`Finding` is an **error** (``verify`` exits non-zero while one is
unfixed) or a **note**:

==================  ========  =====================================================
kind                severity  fixed by ``--fix``
==================  ========  =====================================================
corrupt_document    error     no (the file, the field and the problem are named)
run_id_mismatch     error     no (a run folder copied by hand)
missing_experiment  error     no (a run whose experiment document is gone)
incomplete_run      error     yes: a run folder without ``run.json``, older than a
                              minute (its creator died before writing it), removed
missing_blob        error     no
corrupt_blob        error     no (content does not hash to its name, or its size
                              differs from the recorded one)
bad_reference       error     no (a document names a malformed digest)
torn_log            error     yes: a log whose last line was cut by a killed
                              writer is terminated with a newline (the lost record
                              then counts as a damaged line)
stale_running       error     yes: a RUNNING run whose process is gone is marked
                              KILLED, ending at its last write
temp_file           error     yes: ``.tmp-*`` left by a killed writer, older than a
                              minute and whose writer pid is not alive, removed
damaged_lines       note      no: unreadable lines inside a log (records lost in a
                              past crash; every reader skips them)
malformed_record    error     no: valid JSON of the wrong shape in a log
                              (``{"param": "p", "value": 5}``); readers skip it
bad_value           error     no: a time in a run document outside 0..year 9999
                              (the search index leaves it out)
orphan_blobs        note      no: blobs nothing references (a crash between blob and
                              record, or deleted runs): ``gc`` removes them
==================  ========  =====================================================

The registry is checked too: every ``model.json`` and ``versions/<n>.json``
is parsed and validated (``corrupt_document``), a ``model.json`` must exist
next to its versions, and the stages and aliases it names must be versions
that exist and are not deleted.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from litetrack.entities import RunStatus
from litetrack.errors import ArtifactNotFound, ChecksumMismatch, CorruptDocument, RunNotFound
from litetrack.store.docs import read_doc
from litetrack.store.fs import TMP_PREFIX, append_line
from litetrack.store.refs import (
    DIGEST_RE,
    TEMP_AGE_SECONDS,
    registry_digests,
    remove_path,
    run_blob_digests,
    stale_temp,
    temp_entries,
)
from litetrack.store.runlog import record_problem
from litetrack.store.runs import RUN_DOC, RUN_LOG, effective_status, fold_log
from litetrack.validation import MAX_TIME_MS, MIN_TIME_MS

if TYPE_CHECKING:
    from litetrack.store.core import Store

__all__ = ["Finding", "VerifyReport", "verify"]

Severity = Literal["error", "note"]


@dataclass
class Finding:
    """One thing :func:`verify` found: its ``kind`` (see the module table),
    ``severity``, the ``subject`` (run id, experiment id, digest or path), a
    message for people, and whether ``--fix`` repaired it.
    """

    kind: str
    severity: Severity
    subject: str
    message: str
    fixed: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


@dataclass
class VerifyReport:
    """What :func:`verify` checked and found. ``ok`` is False while an error is unfixed."""

    experiments: int = 0
    runs: int = 0
    blobs: int = 0
    blob_bytes: int = 0
    referenced: int = 0
    hashed: int = 0
    orphans: list[str] = field(default_factory=list)
    orphan_bytes: int = 0
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def errors(self) -> list[Finding]:
        """Errors still present (not fixed)."""
        return [f for f in self.findings if f.severity == "error" and not f.fixed]

    @property
    def ok(self) -> bool:
        """True when no error remains."""
        return not self.errors

    def add(
        self, kind: str, severity: Severity, subject: str, message: str, fixed: bool = False
    ) -> Finding:
        """Record a finding and return it."""
        f = Finding(kind, severity, subject, message, fixed)
        self.findings.append(f)
        return f

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``ok``, counts, findings, orphan digests)."""
        out = {"ok": self.ok, **asdict(self)}  # findings become dicts too
        # Names of the JSON output, kept from before the counts had these field names.
        out["referenced_blobs"] = out.pop("referenced")
        out["hashed_blobs"] = out.pop("hashed")
        out.update(
            orphan_blobs=len(self.orphans),
            errors=len(self.errors),
            fixed=sum(f.fixed for f in self.findings),
            seconds=round(self.seconds, 3),
        )
        return out


def _scan_log(path: Path) -> tuple[int, bool, list[str]]:
    """(unreadable complete lines, whether the last line is torn, malformed records) of a run log.

    A malformed record is valid JSON of the wrong shape (``{"param": "p",
    "value": 5}``): readers skip it as they skip an unreadable line.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return 0, False, []
    torn = bool(data) and not data.endswith(b"\n")
    end = data.rfind(b"\n") + 1
    lines = [line for line in data[:end].split(b"\n") if line]
    if not lines:
        return 0, torn, []
    bad = 0
    records: list[Any] = []
    try:
        # One parse for the whole log, as the readers do; line by line only
        # when it fails.
        records = json.loads(b"[" + b",".join(lines) + b"]")
    except ValueError:
        records = []
        for line in lines:
            try:
                records.append(json.loads(line))
            except ValueError:
                bad += 1
    malformed = []
    for rec in records:
        if type(rec) is not dict:
            bad += 1
            continue
        problem = record_problem(rec)
        if problem is not None:
            malformed.append(f"{json.dumps(rec)[:100]} ({problem})")
    return bad, torn, malformed


def _check_values(doc: dict[str, Any], run_id: str, rep: VerifyReport) -> None:
    """Values a document may hold as JSON but nothing else can (the index, datetime)."""
    for name in ("start_time", "end_time", "deleted_time"):
        value = doc.get(name)
        if value is not None and not (type(value) is int and MIN_TIME_MS <= value <= MAX_TIME_MS):
            huge = isinstance(value, int) and value.bit_length() >= 200
            text = "a huge integer" if huge else repr(value)
            rep.add(
                "bad_value",
                "error",
                run_id,
                f"run {run_id} has {name} {text[:60]}, outside {MIN_TIME_MS}..{MAX_TIME_MS} "
                "(integer milliseconds up to year 9999): the search index leaves it out; "
                "edit run.json to fix it",
            )


def _last_write_ms(run_dir: Path) -> int | None:
    times = []
    for name in (RUN_LOG, RUN_DOC):
        try:
            times.append(os.stat(run_dir / name).st_mtime)
        except FileNotFoundError:
            continue
    return int(max(times) * 1000) if times else None


def _check_experiments(store: Store, rep: VerifyReport) -> set[str]:
    """Count and parse experiment documents; return every id that has a document."""
    ids: set[str] = set()
    try:
        entries = list(os.scandir(store.experiments.dir))
    except FileNotFoundError:
        return ids
    for entry in entries:
        name = entry.name
        if not name.endswith(".json") or name.startswith("."):
            continue
        ids.add(name[: -len(".json")])  # even corrupt: its runs are not orphans
        rep.experiments += 1
        try:
            read_doc(entry.path, "experiment")
        except FileNotFoundError:
            continue
        except CorruptDocument as e:
            rep.add("corrupt_document", "error", entry.path, str(e))
    return ids


def _check_run(
    store: Store,
    run_id: str,
    rep: VerifyReport,
    experiment_ids: set[str],
    refs: dict[str, tuple[int | None, str]],
    fix: bool,
    now: float,
    temp_age: float,
) -> None:
    run_dir = store.runs.dir / run_id
    try:
        raw = store.runs.read_raw(run_id)
    except RunNotFound:
        try:
            age = now - os.stat(run_dir).st_mtime
        except FileNotFoundError:
            return  # removed meanwhile
        if age < temp_age:
            return  # being created right now
        leftovers = [e.name for e in os.scandir(run_dir) if not e.name.startswith(TMP_PREFIX)]
        f = rep.add(
            "incomplete_run",
            "error",
            run_id,
            f"run folder {run_dir} has no {RUN_DOC}"
            + (
                f" (holds {', '.join(sorted(leftovers)[:5])})"
                if leftovers
                else " (its creator died)"
            ),
        )
        if fix and not leftovers:
            shutil.rmtree(run_dir, ignore_errors=True)
            f.fixed = True
        return
    except CorruptDocument as e:
        rep.runs += 1
        rep.add("corrupt_document", "error", run_id, str(e))
        return
    rep.runs += 1
    if raw.get("run_id") != run_id:
        rep.add(
            "run_id_mismatch",
            "error",
            run_id,
            f"{run_dir / RUN_DOC} says run_id {raw.get('run_id')!r}, but its folder is {run_id!r}",
        )
    exp_id = raw.get("experiment_id")
    if exp_id not in experiment_ids and exp_id != "0":
        rep.add(
            "missing_experiment",
            "error",
            run_id,
            f"run {run_id} belongs to experiment {exp_id!r}, which has no document",
        )
    log_path = run_dir / RUN_LOG
    bad_lines, torn, malformed = _scan_log(log_path)
    doc = fold_log(raw, log_path)
    _check_values(doc, run_id, rep)
    if malformed:
        rep.add(
            "malformed_record",
            "error",
            run_id,
            f"{log_path} has {len(malformed)} record(s) of the wrong shape, skipped by readers "
            f"(written by hand or by a foreign tool?): {'; '.join(malformed[:3])}",
        )
    status = effective_status(doc)
    if torn and status != RunStatus.RUNNING:
        f = rep.add(
            "torn_log",
            "error",
            run_id,
            f"{log_path} ends with a record cut by a killed writer (readers skip it)",
        )
        if fix:
            append_line(log_path, b"\n")
            f.fixed = True
    if bad_lines:
        rep.add(
            "damaged_lines",
            "note",
            run_id,
            f"{log_path} has {bad_lines} unreadable line(s): records lost in a crash, "
            "skipped by readers",
        )
    if doc["status"] == RunStatus.RUNNING and status == RunStatus.KILLED:
        f = rep.add(
            "stale_running",
            "error",
            run_id,
            f"run {run_id} is RUNNING but its process (pid {doc.get('pid')} on "
            f"{doc.get('host')}) is gone",
        )
        if fix:
            store.runs.set_status(run_id, RunStatus.KILLED, end_time=_last_write_ms(run_dir))
            store.runs.release(run_id)
            f.fixed = True
    for digest, size, what in run_blob_digests(doc):
        refs.setdefault(digest, (size, f"{what} of run {run_id}"))


def verify(
    store: Store,
    fix: bool = False,
    *,
    hash_blobs: bool = True,
    temp_age_seconds: float = TEMP_AGE_SECONDS,
    progress: Callable[[str, int, int], None] | None = None,
) -> VerifyReport:
    """Check the whole store; with ``fix`` repair what is safe (see the module table).

    ``hash_blobs=False`` checks referenced blobs' presence and size only
    (fast on stores of many gigabytes). ``progress(stage, done, total)`` is
    called as runs and blobs are checked. Returns a :class:`VerifyReport`;
    never raises for what it finds.
    """
    t0 = time.perf_counter()
    now = time.time()
    rep = VerifyReport()
    experiment_ids = _check_experiments(store, rep)
    refs: dict[str, tuple[int | None, str]] = {}
    run_ids = list(store.runs.iter_ids())
    for i, run_id in enumerate(run_ids, 1):
        _check_run(store, run_id, rep, experiment_ids, refs, fix, now, temp_age_seconds)
        if progress is not None:
            progress("runs", i, len(run_ids))
    try:
        for digest in registry_digests(store):
            refs.setdefault(digest, (None, "model registry"))
    except Exception as e:  # noqa: BLE001 - reported, the rest of the check goes on
        rep.add("corrupt_document", "error", "registry", f"cannot list the registry's blobs: {e}")
    try:
        for path, problem in store.registry.check_documents():
            rep.add("corrupt_document", "error", path, problem)
    except Exception as e:  # noqa: BLE001 - reported, the rest of the check goes on
        rep.add("corrupt_document", "error", "registry", f"cannot check the registry: {e}")
    _check_blobs(store, rep, refs, hash_blobs, progress)
    for entry in temp_entries(store, run_ids):
        if not stale_temp(entry, now, temp_age_seconds):
            continue
        f = rep.add(
            "temp_file", "error", entry.path, f"temp file {entry.path} left by a killed writer"
        )
        if fix:
            remove_path(entry.path)
            f.fixed = True
    rep.seconds = time.perf_counter() - t0
    return rep


def _check_blobs(
    store: Store, rep: VerifyReport, refs: dict[str, tuple[int | None, str]], hash_blobs: bool,
    progress: Callable[[str, int, int], None] | None = None,
) -> None:
    objects = store.objects
    present = set(objects.iter_digests())
    rep.blobs = len(present)
    rep.referenced = len(refs)
    for i, (digest, (size, what)) in enumerate(sorted(refs.items(), key=lambda kv: str(kv[0])), 1):
        if progress is not None:
            progress("blobs", i, len(refs))
        if not isinstance(digest, str) or not DIGEST_RE.fullmatch(digest):
            rep.add(
                "bad_reference", "error", str(digest), f"{what} names a malformed digest {digest!r}"
            )
            continue
        if digest not in present:
            rep.add(
                "missing_blob",
                "error",
                digest,
                f"blob {digest} ({what}) is missing from {objects.root}",
            )
            continue
        try:
            actual = objects.size(digest)
            if size is not None and actual != size:
                rep.add(
                    "corrupt_blob",
                    "error",
                    digest,
                    f"blob {digest} ({what}) has {actual} bytes, {size} were recorded",
                )
                continue
            if hash_blobs:
                objects.verify(digest)
                rep.hashed += 1
        except ChecksumMismatch as e:
            rep.add("corrupt_blob", "error", digest, f"{e} ({what})")
        except ArtifactNotFound:
            rep.add(
                "missing_blob", "error", digest, f"blob {digest} ({what}) vanished during the check"
            )
    for digest in sorted(present - refs.keys()):
        rep.orphans.append(digest)
        try:
            rep.orphan_bytes += objects.size(digest)
        except ArtifactNotFound:
            pass
    for digest in present:
        try:
            rep.blob_bytes += objects.size(digest)
        except ArtifactNotFound:
            pass
    if rep.orphans:
        rep.add(
            "orphan_blobs",
            "note",
            f"{len(rep.orphans)} blobs",
            f"{len(rep.orphans)} blob(s), {rep.orphan_bytes} bytes, are referenced by nothing "
            "(left by a crash or by removed runs); `gc` removes them",
        )
