"""Artifacts of runs (MLflow's ``mlflow.artifacts`` plus the fluent ``log_*`` calls).

Artifacts are addressed as ``runs:/<run_id>/<path>``; ``get_artifact_uri``
returns such URIs, and every function here accepts them.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from litetrack import yamlfmt
from litetrack.client import Client
from litetrack.errors import InvalidArgument
from litetrack.fluent import active_run_writer, current_experiment_id
from litetrack.payloads import dict_to_text, figure_bytes, store_image, store_table, text_bytes
from litetrack.registry import resolve_model_uri
from litetrack.store import artifacts as _store_artifacts
from litetrack.store.artifacts import FileInfo, parse_runs_uri
from litetrack.store.core import current_store
from litetrack.store.paths import validate_artifact_path

__all__ = [
    "FileInfo",
    "download_artifacts",
    "list_artifacts",
    "load_text",
    "load_dict",
    "load_image",
    "load_table",
    "log_artifact",
    "log_artifacts",
    "log_text",
    "log_dict",
    "log_figure",
    "log_image",
    "log_table",
    "get_artifact_uri",
]


def _run_and_path(artifact_uri: str | None, run_id: str | None, artifact_path: str | None) -> tuple[str, str]:
    if artifact_uri is not None:
        if run_id is not None or artifact_path is not None:
            raise InvalidArgument("Pass either artifact_uri, or run_id (and artifact_path), not both")
        return parse_runs_uri(artifact_uri)
    if run_id is None:
        raise InvalidArgument("Pass artifact_uri (runs:/<run_id>/<path>) or run_id")
    return run_id, artifact_path or ""


def download_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    dst_path: str | None = None,
) -> str:
    """Copy artifacts to a local folder (a new temp folder by default); return the local path,
    ``dst_path/<last part of the artifact path>`` (as MLflow 3 places it).

    Every file lands inside ``dst_path`` and has its digest checked while it
    is copied: a corrupt blob raises ``ChecksumMismatch`` (as :func:`load_text`
    does) and leaves nothing of the download behind.

    ``artifact_uri`` may be ``runs:/<run_id>/<path>`` or a registered model's
    ``models:/NAME/VERSION`` (also ``/STAGE``, ``@ALIAS``), whose pinned files
    are copied into ``dst_path``.
    """
    if isinstance(artifact_uri, str) and artifact_uri.startswith("models:"):
        store, entries = resolve_model_uri(artifact_uri)
        dst = Path(dst_path) if dst_path is not None else Path(tempfile.mkdtemp(prefix="litetrack-model-"))
        dst.mkdir(parents=True, exist_ok=True)
        _store_artifacts.write_entries(store, entries, dst, verify=True)
        return str(dst)
    rid, path = _run_and_path(artifact_uri, run_id, artifact_path)
    return _store_artifacts.download(current_store(), rid, path or None, dst_path, by_basename=True)


def list_artifacts(
    artifact_uri: str | None = None, run_id: str | None = None, artifact_path: str | None = None
) -> list[FileInfo]:
    """Entries (``.path``, ``.is_dir``, ``.file_size``) directly under a run's artifact path."""
    rid, path = _run_and_path(artifact_uri, run_id, artifact_path)
    return _store_artifacts.list_artifacts(current_store(), rid, path or None)


def load_text(artifact_uri: str) -> str:
    """The text of an artifact file (UTF-8), its digest verified."""
    rid, path = parse_runs_uri(artifact_uri)
    return _store_artifacts.read_bytes(current_store(), rid, path).decode("utf-8")


def load_dict(artifact_uri: str) -> dict[str, Any]:
    """A dict from a ``.json`` or ``.yaml``/``.yml`` artifact."""
    text = load_text(artifact_uri)
    if artifact_uri.endswith((".yaml", ".yml")):
        return yamlfmt.load(text, artifact_uri)  # type: ignore[no-any-return]
    try:
        return json.loads(text)  # type: ignore[no-any-return]
    except ValueError:
        # MLflow raises its own exception here, not json's.
        raise InvalidArgument(
            f"Unable to form a JSON object from the content of {artifact_uri!r}"
        ) from None


def load_image(artifact_uri: str) -> Any:
    """A ``PIL.Image.Image`` from an image artifact (needs Pillow), its digest verified."""
    try:
        from PIL import Image  # here: Pillow is optional and heavy
    except ImportError:
        raise ImportError(
            "litetrack.artifacts.load_image needs Pillow: pip install Pillow"
        ) from None
    import io

    rid, path = parse_runs_uri(artifact_uri)
    data = _store_artifacts.read_bytes(current_store(), rid, path)
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception:  # Pillow raises many kinds for bytes that are not an image
        raise InvalidArgument(
            f"Unable to read {artifact_uri!r} as an image ({len(data)} bytes)"
        ) from None
    return image


def load_table(
    artifact_file: str,
    run_ids: list[str] | None = None,
    extra_columns: list[str] | None = None,
) -> Any:
    """MLflow's ``mlflow.load_table``: the tables ``log_table`` wrote at ``artifact_file``,
    one DataFrame, from ``run_ids`` or every run of the current experiment that has it
    (:meth:`Client.load_table` on the current experiment, as MLflow does).

    ``extra_columns`` names columns of ``search_runs``' frame (``run_id``,
    ``params.x`` ...) added to each run's rows (``name_`` when the table has that
    column already). Raises :class:`ArtifactNotFound` when no run has the table.
    """
    client = Client()
    return client.load_table(current_experiment_id(client), artifact_file, run_ids, extra_columns)


# -- fluent --------------------------------------------------------------------------


def _run_id(run_id: str | None) -> str:
    return run_id or active_run_writer().run_id


def log_artifact(local_path: str | os.PathLike[str], artifact_path: str | None = None, run_id: str | None = None) -> None:
    """Log a local file as an artifact of the active run (kept under its own name)."""
    _store_artifacts.log_artifact(current_store(), _run_id(run_id), local_path, artifact_path)


def log_artifacts(local_dir: str | os.PathLike[str], artifact_path: str | None = None, run_id: str | None = None) -> None:
    """Log every file of a local folder as artifacts of the active run."""
    _store_artifacts.log_artifacts(current_store(), _run_id(run_id), local_dir, artifact_path)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    """Log a string as a text artifact at ``artifact_file``."""
    _store_artifacts.log_bytes(current_store(), _run_id(run_id), text_bytes(text), artifact_file)


def log_dict(dictionary: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Log a dict as JSON (``.json``) or YAML (``.yaml``/``.yml``)."""
    log_text(dict_to_text(dictionary, artifact_file), artifact_file, run_id)


def log_figure(figure: Any, artifact_file: str, *, save_kwargs: dict[str, Any] | None = None, run_id: str | None = None) -> None:
    """Log a matplotlib (or plotly) figure as an image artifact."""
    data = figure_bytes(figure, artifact_file, save_kwargs)
    _store_artifacts.log_bytes(current_store(), _run_id(run_id), data, artifact_file)


def log_table(data: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Log a table (dict of columns or DataFrame) as JSON; rows are appended to an existing one."""
    store_table(current_store(), _run_id(run_id), data, artifact_file)


def log_image(
    image: Any,
    artifact_file: str | None = None,
    key: str | None = None,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
) -> None:
    """Log a numpy array or PIL image: at ``artifact_file``, or as step ``step`` of ``key``."""
    store_image(current_store(), _run_id(run_id), image, artifact_file, key, step, timestamp)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """``runs:/<active run id>[/artifact_path]``."""
    base = f"runs:/{active_run_writer().run_id}"
    if artifact_path:
        return f"{base}/{validate_artifact_path(artifact_path)}"
    return base
