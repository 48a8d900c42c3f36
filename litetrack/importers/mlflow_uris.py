"""Where the URIs written inside an MLflow store point, inside the folder being read.

An MLflow file store is full of absolute URIs of the machine that wrote it
(``file:///home/alice/mlruns/1/<run>/artifacts``), and of indirections
(``runs:/<run>/model``, ``models:/<name>@champion``). Copied to another
machine, or only to another folder, none of them can be opened as written.
:class:`UriResolver` re-roots each one in the folder being imported.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from litetrack.errors import UnsupportedURI
from litetrack.importers.mlflow_entities import DELETED_STAGE
from litetrack.store.location import file_uri_path

if TYPE_CHECKING:
    from litetrack.importers.mlflow_files import MlflowFileStore

__all__ = ["UriResolver", "is_local"]

_TRASH = ".trash"
_REGISTRY = "models"
_EXPERIMENT_SUBDIRS = frozenset(["tags", "datasets", "traces", "models"])
_WINDOWS_DRIVE = re.compile(r"[A-Za-z]:[\\/]")
_SEP = re.compile(r"[\\/]+")
_MAX_URI_HOPS = 8  # models:/name/1 -> runs:/id/model -> file:... chains


def is_local(uri: str) -> bool:
    """Whether ``uri`` names a local file (``file:``, a plain path, ``C:\\...``)."""
    return bool(_WINDOWS_DRIVE.match(uri)) or urlparse(uri).scheme in ("", "file")


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


class UriResolver:
    """Resolves URIs for one :class:`~litetrack.importers.mlflow_files.MlflowFileStore`.

    It reads through the store's own helpers, so a damaged file met while
    resolving is skipped quietly (the store reports it when it reads that
    file for itself). Listings are cached: the store is not expected to
    change while it is being imported.
    """

    def __init__(self, store: MlflowFileStore) -> None:
        self._store = store
        self._tops: dict[str, Path] | None = None
        self._run_dirs: dict[str, Path] | None = None

    def resolve(self, uri: str | None, hops: int = 0) -> Path | None:
        if not uri or hops > _MAX_URI_HOPS:
            return None
        if _WINDOWS_DRIVE.match(uri):
            return self._locate(uri, [])
        parsed = urlparse(uri)
        scheme = parsed.scheme
        if scheme == "":
            return self._locate(unquote(uri), [])
        if scheme == "file":
            try:
                return self._locate(file_uri_path(uri), [])
            except UnsupportedURI:  # a file on another host is not in the folder
                return None
        if scheme == "mlflow-artifacts":
            return self._locate(unquote(parsed.path), self._store.artifact_roots)
        if scheme == "runs":
            # runs:/<run_id>/<path>; "runs://<id>/..." puts the id in netloc.
            rest = (parsed.netloc + "/" + parsed.path).strip("/")
            run_id, _, sub = rest.partition("/")
            return self._resolve_run_path(run_id, sub, hops)
        if scheme == "models":
            return self._resolve_model_uri((parsed.netloc + "/" + parsed.path).strip("/"), hops)
        return None  # s3://, gs://, dbfs:, http(s):// ... are not in the folder

    def _locate(self, path: str, extra_roots: list[Path]) -> Path | None:
        parts = [p for p in _SEP.split(path) if p not in ("", ".")]
        tops = self._top_level()
        # Longest tail first: /x/mlruns/1/r/artifacts/1/f must match at the
        # experiment "1", not at the artifact folder that happens to be "1".
        for k, part in enumerate(parts):
            base = tops.get(part)
            if base is None or ".." in parts[k + 1 :]:
                continue
            candidate = base.joinpath(*parts[k + 1 :])
            if candidate.exists():
                return self._inside(candidate)
        if ".." not in parts:
            for extra in extra_roots:
                for k in range(len(parts)):
                    candidate = extra.joinpath(*parts[k:])
                    if candidate.exists():
                        return self._inside(candidate)
        if self._store.allow_outside and os.path.isabs(path) and os.path.exists(path):
            return self._inside(Path(path))  # still no FIFO or device
        return None

    def _inside(self, candidate: Path) -> Path | None:
        """``candidate`` if it may be read (inside the store once symlinks are
        resolved, a regular file or a folder); else None, and it is reported."""
        why = self._store._refusal(candidate)
        if why is not None:
            self._store._problem(candidate, why)
            return None
        return candidate

    def _top_level(self) -> dict[str, Path]:
        """First path components that anchor a foreign path in this store."""
        if self._tops is None:
            tops: dict[str, Path] = {}
            for entry in self._store._scandir(self._store.root / _TRASH, quiet=True):
                tops[entry.name] = Path(entry.path)
            for entry in self._store._scandir(self._store.root, quiet=True):
                if entry.name != _TRASH:
                    tops[entry.name] = Path(entry.path)
            tops[self._store.root.name] = self._store.root  # ".../mlruns/<x>" with <x> unknown
            self._tops = tops
        return self._tops

    def _find_run_dir(self, run_id: str) -> Path | None:
        if self._run_dirs is None:
            index: dict[str, Path] = {}
            for folder, _ in self._store._experiment_dirs(include_deleted=True):
                for entry in self._store._scandir(folder, quiet=True):
                    if entry.name not in _EXPERIMENT_SUBDIRS:
                        index[entry.name] = Path(entry.path)
            self._run_dirs = index
        return self._run_dirs.get(run_id)

    def _resolve_run_path(self, run_id: str, sub: str, hops: int) -> Path | None:
        run_dir = self._find_run_dir(run_id)
        if run_dir is None:
            return None
        meta = self._store._read_meta(run_dir, "run", quiet=True) or {}
        artifacts = self.resolve(_str_or_none(meta.get("artifact_uri")), hops + 1)
        if artifacts is None and (run_dir / "artifacts").is_dir():
            artifacts = self._inside(run_dir / "artifacts")
        sub_parts = [p for p in sub.split("/") if p]
        if ".." in sub_parts:
            return None
        if artifacts is not None:
            candidate = artifacts.joinpath(*sub_parts)
            if candidate.exists():
                return self._inside(candidate)
        # MLflow 3 keeps a model logged by a run in <exp>/models/<id>/, and
        # resolves runs:/<run_id>/<name> to the logged model of that name.
        if not sub_parts:
            return None
        exp_dir = run_dir.parent
        model_ids = [e.name for e in self._store._scandir(run_dir / "outputs", quiet=True)]
        if not model_ids:
            model_ids = [e.name for e in self._store._scandir(exp_dir / "models", quiet=True)]
        for model_id in model_ids:
            model_dir = exp_dir / "models" / model_id
            model_meta = self._store._read_meta(model_dir, "logged model", quiet=True) or {}
            if (
                str(model_meta.get("name")) == sub_parts[0]
                and str(model_meta.get("source_run_id")) == run_id
            ):
                base = self._logged_model_dir(model_dir, model_meta, hops)
                if base is not None:
                    candidate = base.joinpath(*sub_parts[1:])
                    if candidate.exists():
                        return self._inside(candidate)
        return None

    def _logged_model_dir(self, model_dir: Path, meta: dict[str, Any], hops: int) -> Path | None:
        found = self.resolve(_str_or_none(meta.get("artifact_location")), hops + 1)
        if found is None and (model_dir / "artifacts").is_dir():
            found = self._inside(model_dir / "artifacts")
        return found

    def _resolve_model_uri(self, rest: str, hops: int) -> Path | None:
        # Names and ids become folder names: never let one climb out.
        if not rest or any(p in (".", "..") for p in re.split(r"[/@\\]", rest)):
            return None
        if "/" not in rest and "@" not in rest:
            # models:/<model_id> (MLflow 3 logged model)
            for folder, _ in self._store._experiment_dirs(include_deleted=True):
                model_dir = folder / "models" / rest
                if model_dir.is_dir():
                    meta = self._store._read_meta(model_dir, "logged model", quiet=True) or {}
                    return self._logged_model_dir(model_dir, meta, hops)
            return None
        if "@" in rest and "/" not in rest:
            name, _, alias = rest.partition("@")
            selector: str | None = None
        else:
            name, _, selector = rest.partition("/")
            alias = None
        folder = self._store.root / _REGISTRY / name
        if self._store._read_meta(folder, "registered model", quiet=True) is None:
            return None
        version: int | None = None
        if alias is not None:
            text = self._store._read_text(folder / "aliases" / alias, quiet=True)
            version = _int_or_none(text.strip()) if text else None
        elif selector is not None and selector.isdigit():
            version = int(selector)
        else:
            # A stage name, or "latest": the highest live version in that stage.
            best = -1
            for entry in self._store._scandir(folder, quiet=True):
                if not entry.name.startswith("version-"):
                    continue
                vmeta = self._store._read_meta(Path(entry.path), "model version", quiet=True) or {}
                stage = str(vmeta.get("current_stage"))
                number = _int_or_none(vmeta.get("version")) or -1
                if stage == DELETED_STAGE:
                    continue
                if (selector or "").lower() in ("latest", stage.lower()) and number > best:
                    best = number
            version = best if best >= 0 else None
        if version is None:
            return None
        vmeta = (
            self._store._read_meta(folder / f"version-{version}", "model version", quiet=True) or {}
        )
        for key in ("storage_location", "source"):
            found = self.resolve(_str_or_none(vmeta.get(key)), hops + 1)
            if found is not None:
                return found
        return None
