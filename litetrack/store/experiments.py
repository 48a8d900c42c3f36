"""Experiments: one JSON document each, names unique across processes.

Creating or renaming an experiment happens under ``experiments/.lock`` so two
processes can never create the same name or the same id; everything else is a
single atomic document replace.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from litetrack.clock import now_ms
from litetrack.entities import Experiment, LifecycleStage
from litetrack.errors import ExperimentAlreadyExists, ExperimentNotFound, InvalidState
from litetrack.store.docs import read_doc
from litetrack.store.fs import FileLock, stat_key, write_json
from litetrack.validation import validate_experiment_id, validate_name

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"


# The latest time this process stamped on an experiment (its creation or a change).
_last_stamp = 0


def _stamp(after: int = 0) -> int:
    """Now, but later than ``after`` and than the experiment stamps this process just made.

    Creation times strictly increase with the ids, so experiments made in one
    millisecond are stamped ahead of the clock; a change made after them (a
    rename 2 ms later) must still stamp later than all of them, as it would in
    MLflow, where each carries the clock. A stamp of ours more than a second
    ahead of the clock is not followed: the clock was set back or is mocked
    (MLflow's tests fix ``time.time``), and the clock is what counts then.
    """
    global _last_stamp
    now = now_ms()
    stamp = max(now, after + 1)
    if now <= _last_stamp < now + 1000:
        stamp = max(stamp, _last_stamp + 1)
    _last_stamp = stamp
    return stamp


def doc_to_experiment(doc: dict[str, Any]) -> Experiment:
    """Build the public entity from a validated document."""
    return Experiment(
        experiment_id=doc["experiment_id"],
        name=doc["name"],
        artifact_location=doc["artifact_location"],
        lifecycle_stage=doc.get("lifecycle_stage", LifecycleStage.ACTIVE),
        tags=doc.get("tags") or {},
        creation_time=doc.get("creation_time"),
        last_update_time=doc.get("last_update_time"),
    )


class ExperimentStore:
    """``<store>/experiments/``: create, read, rename, delete and restore experiments."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dir = root / "experiments"
        self.lock = FileLock(self.dir / ".lock")
        self._cache: dict[str, tuple[tuple[int, int, int], dict[str, Any]]] = {}

    def _path(self, experiment_id: str) -> Path:
        return self.dir / f"{experiment_id}.json"

    def _ensure_dir(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)

    # -- reading ---------------------------------------------------------
    def read(self, experiment_id: str) -> dict[str, Any]:
        """The validated document of an experiment; :class:`ExperimentNotFound` if none."""
        experiment_id = validate_experiment_id(experiment_id)
        path = self._path(experiment_id)
        try:
            # Runs read their experiment at creation; a stat is much cheaper
            # than parsing and validating the document again.
            key = stat_key(os.stat(path))
            hit = self._cache.get(experiment_id)
            if hit is not None and hit[0] == key:
                return dict(hit[1])
            doc = read_doc(path, "experiment")
            self._cache[experiment_id] = (key, doc)
            return dict(doc)
        except FileNotFoundError:
            if experiment_id == DEFAULT_EXPERIMENT_ID:
                # Readers see the Default experiment without writing it (reads
                # never write): it is created by the first write that needs it.
                # Its times are unknown (None) until then, so repeated reads agree.
                doc = self._new_doc(DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME, None, None)
                doc["creation_time"] = doc["last_update_time"] = None
                return doc
            raise ExperimentNotFound(
                f"No Experiment with id={experiment_id} exists in store {str(self.root)!r}"
            ) from None

    def list_docs(self) -> list[dict[str, Any]]:
        """Every experiment document, sorted by id.

        The Default experiment is listed even before it is written (as MLflow
        lists it in a fresh store); listing writes nothing.
        """
        docs = []
        try:
            entries = list(os.scandir(self.dir))
        except FileNotFoundError:
            entries = []
        for entry in entries:
            name = entry.name
            if name.endswith(".json") and not name.startswith("."):
                try:
                    docs.append(read_doc(entry.path, "experiment"))
                except FileNotFoundError:
                    continue  # removed by gc between listing and reading
        if not any(d["experiment_id"] == DEFAULT_EXPERIMENT_ID for d in docs):
            docs.append(self.read(DEFAULT_EXPERIMENT_ID))
        docs.sort(key=lambda d: _id_sort_key(d["experiment_id"]))
        return docs

    def find_by_name(self, name: str) -> dict[str, Any] | None:
        """The document of the experiment called ``name`` (active or deleted), or None."""
        for doc in self.list_docs():
            if doc["name"] == name:
                return doc
        return None

    # -- writing ---------------------------------------------------------
    def ensure_default(self) -> dict[str, Any]:
        """Create the Default experiment (id "0") if it does not exist yet."""
        path = self._path(DEFAULT_EXPERIMENT_ID)
        try:
            return read_doc(path, "experiment")
        except FileNotFoundError:
            pass
        self._ensure_dir()
        with self.lock:
            try:
                return read_doc(path, "experiment")
            except FileNotFoundError:
                doc = self._new_doc(DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME, None, None)
                write_json(path, doc)
                return doc

    def _new_doc(
        self,
        experiment_id: str,
        name: str,
        artifact_location: str | None,
        tags: dict[str, str] | None,
        creation_time: int | None = None,
    ) -> dict[str, Any]:
        now = now_ms() if creation_time is None else creation_time
        return {
            "schema_version": 1,
            "experiment_id": experiment_id,
            "name": name,
            "artifact_location": artifact_location or self.root.as_uri(),
            "lifecycle_stage": LifecycleStage.ACTIVE,
            "tags": dict(tags or {}),
            "creation_time": now,
            "last_update_time": now,
            "deleted_time": None,
        }

    def create(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> str:
        """Create an experiment; return its id.

        Raises :class:`ExperimentAlreadyExists` if any experiment (even a
        deleted one, as in MLflow) already has that name.
        """
        name = validate_name(name)
        self.ensure_default()
        with self.lock:
            existing = self.find_by_name(name)
            if existing is not None:
                state = " (in deleted state)" if existing["lifecycle_stage"] == "deleted" else ""
                raise ExperimentAlreadyExists(
                    # MLflow's words first ("Experiment(name=x) already exists"): code
                    # written for MLflow may match them.
                    f"Experiment(name={name}) already exists{state} with id "
                    f"{existing['experiment_id']!r}; pick another name"
                    + (" or restore it" if state else ""),
                    name=name,
                )
            docs = self.list_docs()
            ids = [int(d["experiment_id"]) for d in docs if d["experiment_id"].isdigit()]
            experiment_id = str(max(ids, default=0) + 1)
            # Creation times strictly increase with the ids, so ordering by
            # creation time is stable even for experiments made in one millisecond
            # (the Default one is often written just before the first experiment).
            latest = max((d.get("creation_time") or 0 for d in docs), default=0)
            doc = self._new_doc(experiment_id, name, artifact_location, tags, _stamp(latest))
            write_json(self._path(experiment_id), doc)
            return experiment_id

    def update(self, experiment_id: str, **changes: Any) -> dict[str, Any]:
        """Apply ``changes`` to the document under the lock; return the new document.

        The name and tags of a deleted experiment cannot change (MLflow refuses
        tags and renames there with ``INVALID_PARAMETER_VALUE``).
        """
        if experiment_id == DEFAULT_EXPERIMENT_ID:
            self.ensure_default()
        with self.lock:
            doc = self.read(experiment_id)
            user_facing = {"name", "tags", "delete_tags"}.intersection(changes)
            if doc["lifecycle_stage"] != LifecycleStage.ACTIVE and user_facing:
                raise InvalidState(
                    f"The experiment {experiment_id!r} ({doc['name']!r}) must be in the 'active' "
                    f"state to be changed; it is {doc['lifecycle_stage']} (restore it first)",
                    error_code="INVALID_PARAMETER_VALUE",
                )
            if "name" in changes and changes["name"] != doc["name"]:
                name = validate_name(changes["name"])
                other = self.find_by_name(name)
                if other is not None and other["experiment_id"] != doc["experiment_id"]:
                    # MLflow's words first, as for create_experiment
                    raise ExperimentAlreadyExists(
                        f"Experiment(name={name}) already exists (experiment "
                        f"{other['experiment_id']!r}): cannot rename experiment "
                        f"{experiment_id!r} to it",
                        name=name,
                    )
            tags = changes.pop("tags", None)
            if tags:
                doc["tags"] = {**doc.get("tags", {}), **tags}
            delete_tags = changes.pop("delete_tags", None)
            for key in delete_tags or ():
                doc.get("tags", {}).pop(key, None)
            doc.update(changes)
            doc["last_update_time"] = _stamp()
            write_json(self._path(doc["experiment_id"]), doc, replacing=True)
            return doc

    def set_lifecycle(self, experiment_id: str, stage: str) -> dict[str, Any]:
        """Soft-delete (``deleted``) or restore (``active``) an experiment."""
        doc = self.read(experiment_id)
        if stage == LifecycleStage.DELETED and experiment_id == DEFAULT_EXPERIMENT_ID:
            raise InvalidState("The Default experiment (id '0') cannot be deleted")
        if doc["lifecycle_stage"] == stage:
            verb = "deleted" if stage == LifecycleStage.DELETED else "active"
            raise InvalidState(f"Experiment {experiment_id!r} is already {verb}")
        deleted_time = now_ms() if stage == LifecycleStage.DELETED else None
        return self.update(experiment_id, lifecycle_stage=stage, deleted_time=deleted_time)

    def remove(self, experiment_id: str) -> None:
        """Permanently remove an experiment document (gc only)."""
        with self.lock:
            try:
                os.unlink(self._path(validate_experiment_id(experiment_id)))
            except FileNotFoundError:
                pass


def _id_sort_key(experiment_id: str) -> tuple[int, int | str]:
    return (0, int(experiment_id)) if experiment_id.isdigit() else (1, experiment_id)
