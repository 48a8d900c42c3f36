"""Registry part of ``import-mlflow``: registered models with their version numbers kept.

MLflow version numbers appear in notes, dashboards and ``models:/NAME/3``
URIs, so they are kept exactly, gaps included: a version MLflow deleted is
imported as a tombstone, which keeps its number from being reused. Importing
again adds only the versions not yet present (idempotent).

Resumable: version files are written first and ``model.json`` (stages,
aliases, ``latest``) last. An import killed in between left version files
that ``model.json`` does not account for (numbers above its ``latest``);
the next import applies their stages then, so nothing of the source is lost.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from litetrack.errors import ModelNotFound
from litetrack.store.paths import validate_artifact_path
from litetrack.store.registry import docs, history
from litetrack.store.registry.checks import model_key
from litetrack.store.registry.store import registry_for

if TYPE_CHECKING:
    from pathlib import Path

    from litetrack.store.core import Store

_STAGES = {"staging": "Staging", "production": "Production", "archived": "Archived"}


def _apply_stage(mdoc: dict[str, Any], v: Any, n: int) -> str | None:
    """Put version ``n`` in its MLflow stage in ``mdoc`` (unless it already has one); return the stage."""
    stage = _STAGES.get((v.current_stage or "").lower())
    if stage is not None and not any(str(n) in members for members in mdoc["stages"].values()):
        mdoc["stages"].setdefault(stage, {})[str(n)] = v.last_updated_timestamp or 0
    return stage


def _pin_files(store: Store, reader: Any, location: Path) -> dict[str, dict[str, Any]]:
    # ``reader`` is the importer's MlflowFileStore (typed ``Any``: the store
    # layer does not import the importers). Through the reader, not a plain
    # walk: only regular files inside the imported folder are read (a symlink
    # to /etc/passwd is skipped and reported), and every path passes the
    # artifact path rules.
    files: dict[str, dict[str, Any]] = {}
    for path, rel in reader.files(location):
        ref = store.objects.put_file(path)
        files[validate_artifact_path(rel)] = {"digest": ref.digest, "size": ref.size}
    if not files:
        raise ModelNotFound(
            f"its files ({location}) hold no regular file inside the imported folder"
        )
    return files


def import_registered_model(
    store: Store, rm: Any, reader: Any, dry_run: bool = False
) -> int:
    """Import one MLflow registered model; return the number of versions added.

    ``rm`` is a :class:`litetrack.importers.mlflow_entities.MlflowRegisteredModel`
    and ``reader`` the :class:`~litetrack.importers.mlflow_files.MlflowFileStore`
    it came from; they are typed ``Any`` here because the importers are an
    application on top of the store layer, which does not import them.
    """
    live = [v for v in rm.versions if not v.deleted]
    reg = registry_for(store)
    key = model_key(rm.name)
    if dry_run:
        existing = reg._try_read_model(key, rm.name) if store.exists() else None
        if existing is None:
            return len(live)
        return sum(1 for v in live if not os.path.exists(reg.version_path(key, int(v.version))))
    added = 0
    with reg.locked(rm.name):
        mdoc = reg._try_read_model(key, rm.name)
        if mdoc is None:
            key, mdoc = reg._create_locked(rm.name, dict(rm.tags), rm.description)
            if rm.creation_timestamp:
                mdoc["creation_timestamp"] = rm.creation_timestamp
        # model.json is written last, with "latest" covering every version
        # imported: a version file above that number was written by an
        # import killed before model.json, so its stage is applied now.
        accounted = mdoc["latest"]
        events: list[dict[str, Any]] = []
        for v in sorted(rm.versions, key=lambda x: int(x.version)):
            n = int(v.version)
            path = reg.version_path(key, n)
            if os.path.exists(path):
                if n > accounted and not v.deleted:
                    # Resuming a killed import: its model.json part is done now.
                    stage = _apply_stage(mdoc, v, n)
                    events.append(history.event(rm.name, mdoc["id"], "import_version", version=n,
                                                new={"source": v.source, "stage": stage or "None"},
                                                comment="imported from MLflow (resumed)"))
                    added += 1
                continue  # imported before
            base = {
                "schema_version": docs.VERSION_SCHEMA_VERSION,
                "version": n,
                "creation_timestamp": v.creation_timestamp or 0,
                "source": v.source or "",
                "run_id": v.run_id,
            }
            if v.deleted:
                docs.create_doc_exclusive(path, {**base, "deleted": True, "deleted_timestamp": v.last_updated_timestamp})
                continue
            if v.storage_location is None or not v.storage_location.exists():
                raise ModelNotFound(
                    f"version {n}: its files ({v.storage_uri or v.source}) are not in the imported folder"
                )
            files = _pin_files(store, reader, v.storage_location)
            vdoc = {
                **base,
                "last_updated_timestamp": v.last_updated_timestamp or v.creation_timestamp or 0,
                "user_id": v.user_id,
                "description": v.description,
                "run_link": v.run_link,
                "status": "READY",
                "tags": dict(v.tags),
                "files": files,
                "size": sum(int(e["size"]) for e in files.values()),
            }
            docs.create_doc_exclusive(path, vdoc)
            stage = _apply_stage(mdoc, v, n)
            events.append(history.event(rm.name, mdoc["id"], "import_version", version=n,
                                        new={"source": v.source, "stage": stage or "None"},
                                        comment="imported from MLflow"))
            added += 1
        for alias, version in rm.aliases.items():
            mdoc["aliases"].setdefault(alias, int(version))
        mdoc["latest"] = max([mdoc["latest"], *(int(v.version) for v in rm.versions)])
        docs.write_doc(reg.model_path(key), mdoc)
        reg._journal(key)  # versions up to "latest" are read with it (see cache.py)
        if events:
            reg._log(events)
    return added
