"""The ``MLmodel`` descriptor of a model folder, and what ``log_model`` returns.

An ``MLmodel`` file is YAML in MLflow's shape (so MLflow and its tools read
litetrack models, and litetrack reads MLflow's)::

    artifact_path: model
    flavors:
      python_function:
        data: model.ubj
        env:
          conda: conda.yaml
          virtualenv: python_env.yaml
        loader_module: litetrack.xgboost
        python_version: 3.11.9
      xgboost:
        code: null
        data: model.ubj
        model_class: xgboost.core.Booster
        model_format: ubj
        xgb_version: 3.2.0
    litetrack:
      files:
        model.ubj:
          sha256: 5e1f...
          size: 229889
        ...
      library_versions:
        xgboost: 3.2.0
      schema_version: 1
      version: 0.1.0
    model_size_bytes: 231000
    model_uuid: 0b6d...
    run_id: 4f0c...
    saved_input_example_info: {artifact_path: input_example.json, type: dataframe, ...}
    signature:
      inputs: '[{"type": "double", "name": "f0", "required": true}, ...]'
      outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}]'
      params: null
    utc_time_created: '2026-01-01 12:00:00.000000'

The ``litetrack`` section records the SHA-256 and size of every other file
of the folder: loaders check a pickle against it before unpickling.
"""

from __future__ import annotations

import datetime
import hashlib
import os
from pathlib import Path
from typing import Any

from litetrack import yamlfmt
from litetrack.errors import ChecksumMismatch, CorruptDocument, ModelNotFound
from litetrack.models import uri as _uri
from litetrack.models.input_example import load_input_example
from litetrack.models.signature import ModelSignature, ParamSchema, Schema
from litetrack.store.fs import atomic_write

__all__ = ["MLMODEL_FILE", "Model", "ModelInfo", "file_sha256"]

MLMODEL_FILE = _uri.MLMODEL_FILE
#: Version of the ``litetrack:`` section of MLmodel files.
SCHEMA_VERSION = 1
PYFUNC = "python_function"

_KNOWN = (
    "artifact_path",
    "flavors",
    "run_id",
    "utc_time_created",
    "signature",
    "saved_input_example_info",
    "model_uuid",
    "model_size_bytes",
    "metadata",
    "litetrack",
)


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _now() -> str:
    # MLflow's form: str(datetime.utcnow()).
    return str(datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None))


class Model:
    """An ``MLmodel`` descriptor: flavours, signature, example, provenance, file digests."""

    def __init__(
        self,
        artifact_path: str | None = None,
        run_id: str | None = None,
        utc_time_created: str | None = None,
        flavors: dict[str, dict[str, Any]] | None = None,
        signature: ModelSignature | None = None,
        saved_input_example_info: dict[str, Any] | None = None,
        model_uuid: str | None = None,
        model_size_bytes: int | None = None,
        metadata: dict[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        import uuid

        self.artifact_path = artifact_path
        self.run_id = run_id
        self.utc_time_created = utc_time_created or _now()
        self.flavors: dict[str, dict[str, Any]] = dict(flavors or {})
        self.signature = signature
        self.saved_input_example_info = saved_input_example_info
        self.model_uuid = model_uuid or uuid.uuid4().hex
        self.model_size_bytes = model_size_bytes
        self.metadata = metadata
        self.litetrack: dict[str, Any] = dict(extra.pop("litetrack", None) or {})
        #: Keys litetrack does not know (mlflow_version, databricks_runtime ...), kept as read.
        self.extra = extra
        #: Folder the descriptor was read from (None for a new one).
        self.path: Path | None = None

    # -- flavours --------------------------------------------------------------
    def add_flavor(self, name: str, **params: Any) -> Model:
        """Add (or replace) a flavour section; returns self."""
        self.flavors[name] = params
        return self

    @property
    def loader_module(self) -> str | None:
        """The ``python_function`` loader module, None if the model has no pyfunc flavour."""
        return (self.flavors.get(PYFUNC) or {}).get("loader_module")

    # -- signature --------------------------------------------------------------
    def get_input_schema(self) -> Schema | None:
        """The input schema of the signature, if any."""
        return self.signature.inputs if self.signature is not None else None

    def get_output_schema(self) -> Schema | None:
        """The output schema of the signature, if any."""
        return self.signature.outputs if self.signature is not None else None

    def get_params_schema(self) -> ParamSchema | None:
        """The params schema of the signature, if any."""
        return self.signature.params if self.signature is not None else None

    @property
    def signature_dict(self) -> dict[str, Any] | None:
        return self.signature.to_dict() if self.signature is not None else None

    # -- files -----------------------------------------------------------------
    @property
    def files(self) -> dict[str, dict[str, Any]]:
        """Relative path -> ``{"sha256", "size"}`` recorded at save time ({} for MLflow models)."""
        return dict(self.litetrack.get("files") or {})

    @property
    def library_versions(self) -> dict[str, str]:
        """Versions of the libraries the model was saved with (python, cloudpickle, xgboost ...)."""
        out = dict(self.litetrack.get("library_versions") or {})
        pyfunc = self.flavors.get(PYFUNC) or {}
        if "python" not in out and pyfunc.get("python_version"):
            out["python"] = str(pyfunc["python_version"])
        if "cloudpickle" not in out and pyfunc.get("cloudpickle_version"):
            out["cloudpickle"] = str(pyfunc["cloudpickle_version"])
        xgb = self.flavors.get("xgboost") or {}
        if "xgboost" not in out and xgb.get("xgb_version"):
            out["xgboost"] = str(xgb["xgb_version"])
        sk = self.flavors.get("sklearn") or {}
        if "scikit-learn" not in out and sk.get("sklearn_version"):
            out["scikit-learn"] = str(sk["sklearn_version"])
        return out

    def record_files(self, folder: str | os.PathLike[str]) -> None:
        """Record the digest and size of every file under ``folder`` except ``MLmodel``."""
        root = Path(folder)
        files: dict[str, dict[str, Any]] = {}
        total = 0
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                full = Path(dirpath) / name
                rel = full.relative_to(root).as_posix()
                if rel == MLMODEL_FILE:
                    continue
                size = full.stat().st_size
                files[rel] = {"sha256": file_sha256(full), "size": size}
                total += size
        self.litetrack["files"] = files
        self.model_size_bytes = total

    # -- (de)serialisation ------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The descriptor as a plain dict (what ``MLmodel`` holds); None fields left out."""
        out: dict[str, Any] = dict(self.extra)
        for key in _KNOWN:
            value = getattr(self, key)
            if key == "signature":
                value = self.signature_dict
            if key == "litetrack":
                value = self.litetrack or None
            if value is not None:
                out[key] = value
        return out

    def to_yaml(self) -> str:
        """The text of the ``MLmodel`` file."""
        return yamlfmt.dump(self.to_dict())

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write ``MLmodel`` (``path`` is the file or its folder), atomically."""
        target = Path(path)
        if target.is_dir():
            target = target / MLMODEL_FILE
        atomic_write(target, self.to_yaml().encode("utf-8"))

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Model:
        """A Model from the parsed ``MLmodel`` mapping."""
        doc = dict(doc)
        sig = doc.pop("signature", None)
        model = cls(**{k: v for k, v in doc.items() if isinstance(k, str)})
        if isinstance(sig, dict) and (sig.get("inputs") or sig.get("outputs")):
            model.signature = ModelSignature.from_dict(sig)
        return model

    @classmethod
    def load(cls, path: str | os.PathLike[str], expected_sha256: str | None = None) -> Model:
        """Read ``MLmodel`` from a model folder (or the file itself), or from a model
        URI as MLflow's ``Model.load`` does (``runs:/``, ``models:/``, ``file:``).

        ``expected_sha256`` (from a run's artifact manifest) is checked
        against the file's bytes first. Raises
        :class:`~litetrack.errors.ModelNotFound` when there is no ``MLmodel``,
        :class:`~litetrack.errors.ChecksumMismatch` when its digest differs,
        :class:`~litetrack.errors.CorruptDocument` when it cannot be parsed.
        """
        if isinstance(path, str) and path.startswith(("runs:", "models:", "file:")):
            # As in MLflow, a model URI is accepted too (its folder, digests checked).
            resolved = _uri.resolve_model(path)
            entry = (resolved.digests or {}).get(MLMODEL_FILE)
            path = resolved.path
            expected_sha256 = expected_sha256 or entry
        p = Path(path)
        file = p / MLMODEL_FILE if p.is_dir() else p
        try:
            raw = file.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            raise ModelNotFound(
                f"No MLmodel file in {p}: not a model folder (expected a folder written by "
                "save_model/log_model, litetrack or MLflow)",
                path=str(p),
            ) from None
        if expected_sha256 is not None:
            actual = hashlib.sha256(raw).hexdigest()
            if actual != expected_sha256:
                raise ChecksumMismatch(
                    f"{file} does not match the digest recorded for it in the run's artifacts "
                    f"(expected sha256 {expected_sha256}, got {actual}): the model folder was "
                    "modified after it was logged; refusing to load it",
                    path=str(file),
                    expected=expected_sha256,
                    actual=actual,
                )
        try:
            doc = yamlfmt.load(raw.decode("utf-8"), str(file))
        except UnicodeDecodeError as exc:
            raise CorruptDocument(f"{file} is not UTF-8 text: {exc}", path=str(file)) from None
        if not isinstance(doc, dict) or not isinstance(doc.get("flavors"), dict):
            raise CorruptDocument(
                f"{file} is not a model descriptor: expected a mapping with a 'flavors' section",
                path=str(file),
            )
        model = cls.from_dict(doc)
        model.path = file.parent
        return model

    def load_input_example(self, path: str | os.PathLike[str] | None = None) -> Any:
        """The saved input example (DataFrame, array, sparse matrix ...), None if there is none."""
        folder = Path(path) if path is not None else self.path
        if folder is None or not self.saved_input_example_info:
            return None
        return load_input_example(folder, self.saved_input_example_info)

    def __repr__(self) -> str:
        return (
            f"<Model: flavors={sorted(self.flavors)}, run_id={self.run_id!r}, "
            f"artifact_path={self.artifact_path!r}, model_uuid={self.model_uuid!r}>"
        )


class ModelInfo:
    """What ``log_model`` returns: where the model is and what it is (MLflow's ``ModelInfo``)."""

    def __init__(self, model: Model, model_uri: str, registered_model_version: Any = None) -> None:
        self._model = model
        self.model_uri = model_uri
        self.registered_model_version = registered_model_version

    @property
    def artifact_path(self) -> str | None:
        return self._model.artifact_path

    @property
    def run_id(self) -> str | None:
        return self._model.run_id

    @property
    def flavors(self) -> dict[str, dict[str, Any]]:
        return self._model.flavors

    @property
    def model_uuid(self) -> str:
        return self._model.model_uuid

    @property
    def utc_time_created(self) -> str:
        return self._model.utc_time_created

    @property
    def signature(self) -> ModelSignature | None:
        return self._model.signature

    @property
    def signature_dict(self) -> dict[str, Any] | None:
        return self._model.signature_dict

    @property
    def saved_input_example_info(self) -> dict[str, Any] | None:
        return self._model.saved_input_example_info

    @property
    def model_size_bytes(self) -> int | None:
        return self._model.model_size_bytes

    @property
    def metadata(self) -> dict[str, Any] | None:
        return self._model.metadata

    @property
    def litetrack_version(self) -> str | None:
        return self._model.litetrack.get("version")

    def __repr__(self) -> str:
        return f"<ModelInfo: model_uri={self.model_uri!r}, flavors={sorted(self.flavors)}>"
