"""``import-mlflow``: bring an MLflow file store (``mlruns/``) into a litetrack store.

Reads with :mod:`litetrack.importers.mlflow_files` (no MLflow needed) and
writes litetrack documents directly:

* experiments by name (MLflow's ``Default`` is litetrack's ``Default``);
  deleted ones are imported deleted;
* runs keep their MLflow run id, status, times, user, params, tags, the full
  metric history (timestamps and steps), dataset inputs and artifacts (into
  the content-addressed store: bytes shared by runs are stored once);
* MLflow 3 logged models are imported as artifacts of their source run under
  their name, so ``runs:/<run_id>/<name>`` resolves as it did in MLflow;
* the file model registry (names, versions, stages, aliases, tags,
  descriptions), with the version numbers kept.

Idempotent and resumable: a run is committed by writing its ``run.json``
last; a run folder without it (a killed import) is redone, one with it is
skipped. Anything unreadable is reported with the file and the reason, and
the import goes on.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from litetrack import clock, yamlfmt
from litetrack.entities import LifecycleStage
from litetrack.errors import InvalidArtifactPath
from litetrack.importers.mlflow_entities import MlflowExperiment, MlflowLoggedModel, MlflowRun
from litetrack.importers.mlflow_files import MlflowFileStore
from litetrack.store.core import Store
from litetrack.store.fs import atomic_write, write_json
from litetrack.store.paths import join_artifact_path, validate_artifact_path
from litetrack.store.registry.importing import import_registered_model
from litetrack.store.runs import PARENT_TAG, RUN_DOC, RUN_LOG, _float_json, fold_log
from litetrack.validation import validate_run_id


@dataclass
class ImportSummary:
    """What an import did (or would do, with ``dry_run``)."""

    experiments_created: int = 0
    experiments_existing: int = 0
    runs_imported: int = 0
    runs_skipped: int = 0
    runs_failed: int = 0
    metric_points: int = 0
    artifact_files: int = 0
    artifact_bytes: int = 0
    logged_models: int = 0
    registered_models: int = 0
    model_versions: int = 0
    models_loadable: list[str] = field(default_factory=list)
    models_not_loadable: list[str] = field(default_factory=list)
    #: Loadable models whose pickle no one verified (MLflow records no digest).
    models_unverified: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-able data."""
        return asdict(self)

    def lines(self, dry_run: bool) -> list[str]:
        """Human-readable summary."""
        verb = "would import" if dry_run else "imported"
        out = [
            f"experiments: {self.experiments_created} new, {self.experiments_existing} already present",
            f"runs: {self.runs_imported} {verb}, {self.runs_skipped} already imported, {self.runs_failed} failed",
            f"metric points: {self.metric_points}",
            f"artifact files: {self.artifact_files} ({self.artifact_bytes:,} bytes)",
            f"logged models (MLflow 3): {self.logged_models}",
            f"registered models: {self.registered_models}, versions: {self.model_versions}",
        ]
        if self.models_loadable:
            out.append(f"models loadable with litetrack.pyfunc: {len(self.models_loadable)}")
        if self.models_unverified:
            out.append(
                f"models with a pickle nobody verified ({len(self.models_unverified)}): MLflow "
                "records no digest, so litetrack only knows the bytes did not change since "
                "this import; they are trusted because you imported them, and loading one "
                "runs its code (load_model warns):"
            )
            out += [f"  {m}: pickle never verified" for m in self.models_unverified]
        for m in self.models_not_loadable:
            out.append(f"kept as artifacts only (flavour not supported): {m}")
        if self.problems:
            out.append(f"problems ({len(self.problems)}), skipped:")
            out += [f"  {p}" for p in self.problems]
        return out


class MlflowImporter:
    """One import of an MLflow folder into a litetrack store."""

    def __init__(self, source: str | os.PathLike[str], store: Store, experiments: list[str] | None = None,
                 dry_run: bool = False) -> None:
        self.reader = MlflowFileStore(source)
        self.store = store
        self.only = experiments
        self.dry_run = dry_run
        self.summary = ImportSummary()
        self._exp_map: dict[str, str] = {}  # MLflow experiment id -> litetrack id
        #: Called as (stage, done, total) while runs are imported (a CLI progress bar).
        self.progress: Callable[[str, int, int], None] | None = None

    # -- experiments ------------------------------------------------------------
    def _experiment(self, exp: MlflowExperiment) -> str | None:
        existing = self.store.experiments.find_by_name(exp.name) if self.store.exists() else None
        if existing is not None:
            self.summary.experiments_existing += 1
            return existing["experiment_id"]
        self.summary.experiments_created += 1
        if self.dry_run:
            return None
        eid = self.store.experiments.create(exp.name, tags=dict(exp.tags))
        changes: dict[str, Any] = {}
        if exp.creation_time is not None:
            changes["creation_time"] = exp.creation_time
        if exp.lifecycle_stage == LifecycleStage.DELETED:
            changes["lifecycle_stage"] = LifecycleStage.DELETED
            changes["deleted_time"] = exp.last_update_time or clock.now_ms()
        if changes:
            self.store.experiments.update(eid, **changes)
        return eid

    # -- runs -----------------------------------------------------------------------
    def _run(self, run: MlflowRun, exp_id: str | None, models: list[MlflowLoggedModel]) -> None:
        validate_run_id(run.run_id)
        run_dir = self.store.runs.dir / run.run_id
        if (run_dir / RUN_DOC).exists():
            self.summary.runs_skipped += 1
            return
        files = self._artifact_files(run.artifact_dir, None)
        taken = {rel.split("/", 1)[0] for _, rel in files}
        for m in models:
            name = m.name or m.model_id
            if name in taken:
                continue  # MLflow 2 style: the model is already among the run's artifacts
            try:
                # The name comes from the model's meta.yaml: "/tmp/x" or
                # "../../x" must not become an artifact path.
                base = validate_artifact_path(name)
            except InvalidArtifactPath as e:
                self.summary.problems.append(f"{m.path}: logged model {m.model_id} skipped ({e})")
                continue
            files += self._artifact_files(m.artifact_dir, base)
            taken.add(name)
            self.summary.logged_models += 1
        self.summary.runs_imported += 1
        self.summary.metric_points += sum(len(v) for v in run.metrics.values())
        self.summary.artifact_files += len(files)
        self.summary.artifact_bytes += sum(p.stat().st_size for p, _ in files)
        self._check_models(run.run_id, files)
        if self.dry_run:
            return
        assert exp_id is not None
        # Announced first (RunStore.intend): a search may list runs/ while the
        # folder has no run.json yet, and the line after it may be lost to a
        # kill; the index re-reads the run until the line after it, or until
        # this process is gone.
        token = self.store.runs.intend(run.run_id)
        try:
            self._write_run(run, exp_id, files, run_dir)
        finally:
            self.store.runs.changed(run.run_id, done=token)

    def _write_run(self, run: MlflowRun, exp_id: str, files: list[tuple[Path, str]], run_dir: Path) -> None:
        """Write the folder of one run: its log, then its document (which marks it complete)."""
        if run_dir.exists():
            shutil.rmtree(run_dir)  # left by a killed import: redo it
        run_dir.mkdir(parents=True)
        lines: list[bytes] = []
        import json

        for key, value in run.params.items():
            lines.append(json.dumps({"param": key, "value": value}, separators=(",", ":")).encode() + b"\n")
        for key, points in run.metrics.items():
            jkey = json.dumps(key)
            for ts, point, step in points:
                lines.append(
                    f'{{"key":{jkey},"value":{_float_json(float(point))},"timestamp":{int(ts)},"step":{int(step)}}}\n'.encode()
                )
        for path, rel in files:
            ref = self.store.objects.put_file(path)
            lines.append(
                json.dumps({"artifact": rel, "digest": ref.digest, "size": ref.size}, separators=(",", ":")).encode()
                + b"\n"
            )
        log_path = run_dir / RUN_LOG
        atomic_write(log_path, b"".join(lines))
        tags = dict(run.tags)
        if run.run_name and "mlflow.runName" not in tags:
            tags["mlflow.runName"] = run.run_name
        doc: dict[str, Any] = {
            "schema_version": 1,
            "run_id": run.run_id,
            "experiment_id": exp_id,
            "run_name": run.run_name or tags.get("mlflow.runName"),
            "user_id": run.user_id,
            "status": run.status,
            "start_time": run.start_time,
            "end_time": run.end_time,
            "lifecycle_stage": run.lifecycle_stage,
            "deleted_time": run.deleted_time,
            "artifact_uri": f"runs:/{run.run_id}",
            "pid": None,
            "host": None,
            "proc_start": None,
            "parent_run_id": tags.get(PARENT_TAG),
            "params": {},
            "tags": tags,
            "metrics": {},
            "log_offset": 0,
            "inputs": [
                {
                    "dataset": {k: v for k, v in i.items() if k not in ("tags", "dataset_id")},
                    "tags": dict(i.get("tags") or {}),
                }
                for i in run.inputs
            ],
            "imported_from": "mlflow",
        }
        fold_log(doc, log_path)
        # run.json last: its presence marks the run as completely imported.
        write_json(run_dir / RUN_DOC, doc)

    def _artifact_files(self, folder: Path | None, base: str | None) -> list[tuple[Path, str]]:
        """(file, artifact path) for the regular files under ``folder`` that
        are inside the imported folder, each path checked by the rules of
        ``log_artifact``; whatever is skipped is reported."""
        out = []
        for path, rel in self.reader.files(folder):
            try:
                out.append((path, join_artifact_path(base, rel)))
            except InvalidArtifactPath as e:
                self.summary.problems.append(f"{path}: artifact skipped ({e})")
        return out

    def _check_models(self, run_id: str, files: list[tuple[Path, str]]) -> None:
        for path, rel in files:
            if rel == "MLmodel" or rel.endswith("/MLmodel"):
                where = f"runs:/{run_id}/{rel[: -len('/MLmodel')] if '/' in rel else ''}".rstrip("/")
                try:
                    meta = (
                        yamlfmt.load(path.read_text(encoding="utf-8"), str(path), aliases=False)
                        or {}
                    )
                except Exception as e:  # noqa: BLE001 - reported, not fatal
                    self.summary.problems.append(f"{path}: unreadable MLmodel ({e})")
                    continue
                flavors = set((meta.get("flavors") or {}).keys())
                pickled = (meta.get("flavors") or {}).get("sklearn", {}).get("serialization_format")
                if "xgboost" in flavors or ("sklearn" in flavors and pickled in ("cloudpickle", "pickle")):
                    self.summary.models_loadable.append(where)
                    if "sklearn" in flavors and pickled in ("cloudpickle", "pickle"):
                        self.summary.models_unverified.append(where)
                else:
                    self.summary.models_not_loadable.append(f"{where} ({', '.join(sorted(flavors)) or 'no flavour'})")

    # -- everything ---------------------------------------------------------------------
    def run(self) -> ImportSummary:
        """Import everything selected; return the summary."""
        if not self.dry_run:
            self.store.ensure_writable()
            self.store.experiments.ensure_default()
        for exp in self.reader.experiments(self.only):
            try:
                exp_id = self._experiment(exp)
            except Exception as e:  # noqa: BLE001 - reported, the rest goes on
                self.summary.problems.append(f"{exp.path}: experiment {exp.name!r} not imported ({e})")
                continue
            if exp_id is not None:
                self._exp_map[exp.experiment_id] = exp_id
            models_by_run: dict[str, list[MlflowLoggedModel]] = {}
            for m in self.reader.logged_models(exp):
                if m.source_run_id:
                    models_by_run.setdefault(m.source_run_id, []).append(m)
                else:
                    self.summary.problems.append(f"{m.path}: logged model {m.model_id} has no source run; skipped")
            runs = list(self.reader.runs(exp))
            for i, run in enumerate(runs, 1):
                if self.progress is not None:
                    self.progress(f"runs of {exp.name}", i, len(runs))
                try:
                    self._run(run, exp_id, models_by_run.get(run.run_id, []))
                except Exception as e:  # noqa: BLE001 - reported, the rest goes on
                    self.summary.runs_failed += 1
                    self.summary.problems.append(f"{run.path}: run {run.run_id} not imported ({e})")
        self._registry()
        self.summary.problems[:0] = [str(p) for p in self.reader.problems]
        return self.summary

    def _registry(self) -> None:
        for rm in self.reader.registered_models():
            if self.only is not None:
                pass  # the registry is store-wide; it is imported whatever the experiment selection
            try:
                n = import_registered_model(self.store, rm, self.reader, dry_run=self.dry_run)
            except Exception as e:  # noqa: BLE001 - reported, the rest goes on
                self.summary.problems.append(f"registered model {rm.name!r} not imported ({e})")
                continue
            self.summary.registered_models += 1
            self.summary.model_versions += n


def import_mlflow(
    source: str | os.PathLike[str], store: Store, experiments: Iterable[str] | None = None, dry_run: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportSummary:
    """Import an MLflow file store into ``store``; see the module docstring.

    ``progress(stage, done, total)`` is called as each experiment's runs are imported.
    """
    importer = MlflowImporter(source, store, list(experiments) if experiments else None, dry_run)
    importer.progress = progress
    return importer.run()
