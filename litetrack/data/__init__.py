"""Datasets a run used (MLflow's ``mlflow.data``): descriptions, not copies.

``from_pandas(df)``, ``from_numpy(array)`` and ``from_file(path)`` build a
:class:`Dataset`: a name, a content digest, a schema, a profile (row count,
size) and where the data came from. ``litetrack.log_input(dataset,
context="training")`` records that description in the active run (one log
record, folded into ``run.json`` under ``inputs``); the data itself is never
copied, so a dataset used by a thousand runs costs a thousand small records.
``run.inputs.dataset_inputs[i].dataset`` is the description as a dict (which
also reads as MLflow's entity: ``.name``, ``.schema`` as a JSON string ...) and
``.tags["mlflow.data.context"]`` the context; :func:`get_source` gives its source.

Digests are SHA-256 hex strings, equal for equal data:

* a file: the SHA-256 of its bytes (the digest its blob would have in the
  object store);
* a DataFrame: the SHA-256 of its shape, column names, dtypes and
  ``pandas.util.hash_pandas_object`` of its rows, index included. A frame of
  more than ``max(1000, 2_000_000 // columns)`` rows is hashed on that many
  evenly spaced rows (always the first and the last), so the digest of any
  frame costs a bounded time (MLflow hashes only the first 10,000 rows; the
  spread sample also notices a change at the end). ``profile["digest_rows"]``
  tells how many rows were hashed. A change confined to rows outside the sample
  keeps the digest: use ``from_file`` on the file the frame came from when
  every byte must count.
* a NumPy array: the same scheme over its first axis.

The recorded form (the dict ``to_dict`` returns) keeps ``source``, ``schema``
and ``profile`` as JSON objects, readable with ``jq``; MLflow's
``Dataset.to_dict`` holds them as JSON strings.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from litetrack.errors import InvalidArgument
from litetrack.store.location import file_uri_path
from litetrack.store.runs import input_key
from litetrack.validation import validate_key, validate_tag_value

if TYPE_CHECKING:
    from litetrack.store.core import Store

__all__ = [
    "Dataset",
    "FileDataset",
    "NumpyDataset",
    "PandasDataset",
    "from_file",
    "from_numpy",
    "from_pandas",
    "get_source",
    "DatasetSource",
    "CONTEXT_TAG",
]

#: The input tag holding the context (``training``, ``validation`` ...), as in MLflow.
CONTEXT_TAG = "mlflow.data.context"
#: Cells hashed at most for the digest of a frame or array (bounds its cost).
MAX_DIGEST_CELLS = 2_000_000
#: Rows hashed at least, however wide the frame.
MIN_DIGEST_ROWS = 1_000
_DIGEST_VERSION = b"litetrack-dataset-digest-v1\0"


class Dataset:
    """A description of data a run used: ``name``, ``digest``, ``source_type``,
    ``source`` (dict), ``schema`` (dict or None), ``profile`` (dict).
    """

    def __init__(
        self,
        name: str,
        digest: str,
        source_type: str,
        source: dict[str, Any],
        schema: dict[str, Any] | None,
        profile: dict[str, Any],
        targets: str | None = None,
    ) -> None:
        self.name = name
        self.digest = digest
        self.source_type = source_type
        self.source = source
        self.schema = schema
        self.profile = profile
        self.targets = targets

    def to_dict(self) -> dict[str, Any]:
        """The description as recorded in a run (plain JSON types)."""
        d = {
            "name": self.name,
            "digest": self.digest,
            "source_type": self.source_type,
            "source": self.source,
            "schema": self.schema,
            "profile": self.profile,
        }
        if self.targets is not None:
            d["targets"] = self.targets
        return d

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} name={self.name!r} digest={self.digest[:12]}… "
            f"profile={self.profile}>"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Dataset) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable attributes


class PandasDataset(Dataset):
    """A :class:`Dataset` over a pandas DataFrame (kept as ``df``)."""

    def __init__(self, df: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.df = df


class NumpyDataset(Dataset):
    """A :class:`Dataset` over NumPy arrays (kept as ``features`` and ``targets_array``)."""

    def __init__(self, features: Any, targets_array: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.features = features
        self.targets_array = targets_array


class FileDataset(Dataset):
    """A :class:`Dataset` over one local file (kept as ``path``)."""

    def __init__(self, path: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.path = path


# -- sources ----------------------------------------------------------------------


class DatasetSource:
    """Where a dataset came from (MLflow's ``DatasetSource``), as :func:`get_source` returns it.

    ``source_type`` (``local``, ``s3``, ``http``, ``code`` ...), ``uri`` when the source has
    one, ``to_dict()``/``to_json()`` (the recorded form), and ``load()`` for local sources.
    """

    def __init__(self, source_type: str, source: Mapping[str, Any]) -> None:
        self.source_type = source_type
        self._source = dict(source)

    @property
    def uri(self) -> str | None:
        """The path or URI the data was read from (None for data made by code)."""
        uri = self._source.get("uri")
        return uri if isinstance(uri, str) else None

    def to_dict(self) -> dict[str, Any]:
        """The recorded source (plain JSON types)."""
        return dict(self._source)

    def to_json(self) -> str:
        """The recorded source as a JSON string (MLflow's form)."""
        return json.dumps(self._source)

    def load(self, dst_path: str | None = None) -> str:
        """The local path of the source's data; copied into ``dst_path`` when given.

        Only local sources load: other kinds raise :class:`InvalidArgument` naming
        the source (litetrack does not download datasets).
        """
        path = self.uri
        if self.source_type != "local" or path is None:
            raise InvalidArgument(
                f"Cannot load a dataset source of type {self.source_type!r} "
                f"({self.uri or self._source}): litetrack loads local sources only"
            )
        if not os.path.exists(path):
            raise InvalidArgument(f"Dataset source {path!r} no longer exists")
        if dst_path is None:
            return path
        import shutil  # here: only loading copies

        target = os.path.join(dst_path, os.path.basename(path.rstrip(os.sep)))
        if os.path.isdir(path):
            shutil.copytree(path, target, dirs_exist_ok=True)
        else:
            os.makedirs(dst_path, exist_ok=True)
            shutil.copyfile(path, target)
        return target

    def __repr__(self) -> str:
        return f"<DatasetSource {self.source_type}: {self.uri or self._source}>"


def get_source(dataset: Any) -> DatasetSource:
    """The :class:`DatasetSource` of a dataset: one built here (``from_pandas`` ...), one
    read back from a run (``run.inputs.dataset_inputs[i].dataset``), or that input itself.
    """
    record = getattr(dataset, "dataset", dataset)  # a DatasetInput holds the record
    if isinstance(record, Dataset):
        return DatasetSource(record.source_type, record.source)
    if isinstance(record, Mapping) and isinstance(record.get("source_type"), str):
        src = record.get("source")
        if isinstance(src, str):  # MLflow's form: a JSON string
            try:
                src = json.loads(src)
            except ValueError:
                src = {"uri": src}
        return DatasetSource(record["source_type"], src if isinstance(src, Mapping) else {})
    raise InvalidArgument(
        f"get_source needs a dataset (from_pandas/from_numpy/from_file) or a run's dataset "
        f"input, got {type(dataset).__name__}"
    )


def _strip_credentials(uri: str) -> str:
    # s3://key:secret@bucket or https://user:token@host must not land in a run.
    parts = urlsplit(uri)
    if parts.username is None and parts.password is None:
        return uri
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _entry_point() -> str:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return os.path.abspath(path) if isinstance(path, str) and path else "<interactive>"


def _resolve_source(source: Any) -> tuple[str, dict[str, Any]]:
    """(source_type, source dict) from what the caller gave."""
    if source is None:
        # MLflow's CodeDatasetSource: the data was made by the running code.
        return "code", {"tags": {"mlflow.source.name": _entry_point()}}
    if isinstance(source, Mapping):
        src = dict(source)
        try:
            json.dumps(src)
        except (TypeError, ValueError) as e:
            raise InvalidArgument(
                f"Dataset source {source!r} is not JSON-serialisable: {e}"
            ) from None
        source_type = src.pop("source_type", None) or src.pop("type", None) or "external"
        return str(source_type), src
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        scheme = urlsplit(text).scheme.lower()
        if scheme in ("", "file") or len(scheme) == 1:  # len 1: a Windows drive letter
            path = file_uri_path(text) if scheme == "file" else text
            return "local", {"uri": os.path.abspath(path)}
        return ("http" if scheme == "https" else scheme), {"uri": _strip_credentials(text)}
    raise InvalidArgument(
        f"Invalid dataset source {source!r}: expected a path or URI string, a dict, or None"
    )


def _check_name(name: Any, default: str) -> str:
    if name is None:
        return default
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgument(f"Invalid dataset name {name!r}: expected a non-empty string")
    return name


# -- digests ------------------------------------------------------------------------


def sample_positions(n_rows: int, n_cols: int) -> Any:
    """Row positions hashed for a digest: None for all rows, else a sorted int array.

    Evenly spaced over the whole length (the first and the last row always
    included), deterministic, so equal data gives equal positions.
    """
    import numpy as np

    limit = max(MIN_DIGEST_ROWS, MAX_DIGEST_CELLS // max(n_cols, 1))
    if n_rows <= limit:
        return None
    return np.linspace(0, n_rows - 1, limit).round().astype(np.int64)


def _hash_rows(frame: Any) -> Any:
    """uint64 hashes per row of ``frame`` (index included)."""
    import numpy as np
    import pandas as pd

    hash_object = pd.util.hash_pandas_object
    try:
        return hash_object(frame, index=True).to_numpy()
    except TypeError:
        # Unhashable cells (lists, dicts): hash those columns by repr.
        cols = [hash_object(frame.index.to_series(), index=False).to_numpy()]
        for i in range(frame.shape[1]):
            col = frame.iloc[:, i]
            try:
                cols.append(hash_object(col, index=False).to_numpy())
            except TypeError:
                cols.append(hash_object(col.map(repr), index=False).to_numpy())
        return np.ascontiguousarray(np.stack(cols, axis=1))


def pandas_digest(df: Any) -> tuple[str, int]:
    """(digest, rows hashed) of a DataFrame; see the module docstring."""
    n_rows, n_cols = df.shape
    positions = sample_positions(n_rows, n_cols)
    sample = df if positions is None else df.iloc[positions]
    import hashlib  # here, not at the top: keeps `import litetrack` light

    hasher = hashlib.sha256(_DIGEST_VERSION + b"pandas\0")
    header = [list(df.shape), [repr(c) for c in df.columns], [str(t) for t in df.dtypes]]
    hasher.update(json.dumps(header).encode() + b"\0")
    hasher.update(_hash_rows(sample).tobytes())
    return hasher.hexdigest(), len(sample)


def _array_digest(hasher: Any, arr: Any) -> int:
    import numpy as np

    arr = np.asarray(arr)
    n = arr.shape[0] if arr.ndim else 1
    per_row = int(np.prod(arr.shape[1:])) if arr.ndim > 1 else 1
    positions = sample_positions(n, per_row) if arr.ndim else None
    sample = arr if positions is None else arr[positions]
    hasher.update(json.dumps([list(arr.shape), str(arr.dtype)]).encode() + b"\0")
    if arr.dtype.hasobject:
        # The bytes of an object array are pointers: hash the values' reprs.
        for value in sample.ravel():
            hasher.update(repr(value).encode() + b"\0")
    else:
        hasher.update(np.ascontiguousarray(sample).tobytes())
    return len(sample) if arr.ndim else 1


def file_digest(path: str) -> str:
    """SHA-256 of a file's bytes (the digest of its blob in the object store)."""
    import hashlib  # here, not at the top: keeps `import litetrack` light

    hasher = hashlib.sha256()
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    # hashlib.file_digest would do, but it needs Python 3.11.
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            hasher.update(view[:n])
    return hasher.hexdigest()


# -- schemas ------------------------------------------------------------------------

# pandas/NumPy dtype names (lower-cased, "[storage]" dropped: "Int64" and
# "string[pyarrow]" are the nullable variants) -> MLflow's column types.
_MLFLOW_TYPES = {
    "bool": "boolean",
    "boolean": "boolean",
    "int8": "integer",
    "int16": "integer",
    "int32": "integer",
    "int64": "long",
    "uint8": "integer",
    "uint16": "integer",
    "uint32": "long",
    "uint64": "long",
    "float16": "float",
    "float32": "float",
    "float64": "double",
    "string": "string",
    "str": "string",
    "bytes": "binary",
    "category": "string",
}


def _column_type(dtype: Any, values: Any) -> str:
    name = str(dtype)
    key = name.lower().split("[", 1)[0]
    if key in _MLFLOW_TYPES:
        return _MLFLOW_TYPES[key]
    if key.startswith("datetime64"):
        return "datetime"
    if name == "object":
        # Mostly strings in practice; decided on the (bounded) sample.
        present = [v for v in values if v is not None and v == v]
        if present and all(isinstance(v, str) for v in present):
            return "string"
        if present and all(isinstance(v, bytes) for v in present):
            return "binary"
    return name


def pandas_schema(df: Any, sample: Any) -> dict[str, Any]:
    """MLflow's column-spec schema of a frame (types decided on ``sample``)."""
    cols = []
    for i, (col, dtype) in enumerate(zip(df.columns, df.dtypes, strict=True)):
        values = sample.iloc[:1000, i].tolist() if str(dtype) == "object" else ()
        cols.append({"type": _column_type(dtype, values), "name": str(col), "required": True})
    return {"mlflow_colspec": cols}


# -- constructors ---------------------------------------------------------------------


def from_pandas(
    df: Any, source: Any = None, name: str | None = None, targets: str | None = None
) -> PandasDataset:
    """A :class:`PandasDataset` describing ``df``.

    ``source``: where the frame came from (a path, a URI such as
    ``s3://bucket/trips.parquet``, a dict, or None for "made by this code");
    ``name`` defaults to ``"dataset"``; ``targets`` names the label column.
    Raises :class:`InvalidArgument` for a non-DataFrame or an unknown target.
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise InvalidArgument(f"from_pandas needs a pandas DataFrame, got {type(df).__name__}")
    if targets is not None and targets not in df.columns:
        raise InvalidArgument(
            f"Target column {targets!r} is not in the frame; "
            f"columns: {[str(c) for c in df.columns][:20]}"
        )
    source_type, src = _resolve_source(source)
    digest, hashed = pandas_digest(df)
    positions = sample_positions(*df.shape)
    sample = df if positions is None else df.iloc[positions]
    n_rows, n_cols = df.shape
    return PandasDataset(
        df,
        name=_check_name(name, "dataset"),
        digest=digest,
        source_type=source_type,
        source=src,
        schema=pandas_schema(df, sample),
        profile={
            "num_rows": int(n_rows),
            "num_elements": int(n_rows * n_cols),
            "digest_rows": hashed,
        },
        targets=targets,
    )


def from_numpy(
    features: Any, source: Any = None, targets: Any = None, name: str | None = None
) -> NumpyDataset:
    """A :class:`NumpyDataset` describing ``features`` (and optional ``targets``) arrays."""
    import numpy as np

    feats = np.asarray(features)
    import hashlib  # here, not at the top: keeps `import litetrack` light

    hasher = hashlib.sha256(_DIGEST_VERSION + b"numpy\0")
    hashed = _array_digest(hasher, feats)
    schema: dict[str, Any] = {
        "features": {"dtype": str(feats.dtype), "shape": [-1, *feats.shape[1:]]}
    }
    profile: dict[str, Any] = {"features_shape": list(feats.shape), "digest_rows": hashed}
    tgt = None
    if targets is not None:
        tgt = np.asarray(targets)
        hasher.update(b"targets\0")
        _array_digest(hasher, tgt)
        schema["targets"] = {"dtype": str(tgt.dtype), "shape": [-1, *tgt.shape[1:]]}
        profile["targets_shape"] = list(tgt.shape)
    source_type, src = _resolve_source(source)
    return NumpyDataset(
        feats,
        tgt,
        name=_check_name(name, "dataset"),
        digest=hasher.hexdigest(),
        source_type=source_type,
        source=src,
        schema=schema,
        profile=profile,
    )


def from_file(
    path: str | os.PathLike[str], name: str | None = None, source: Any = None
) -> FileDataset:
    """A :class:`FileDataset` describing a local file: SHA-256 of its bytes, its size.

    ``name`` defaults to the file name; ``source`` to the file's absolute
    path. Raises :class:`InvalidArgument` if the path is not a readable file.
    """
    text = os.fspath(path)
    if not os.path.isfile(text):
        what = "a folder" if os.path.isdir(text) else "no such file"
        raise InvalidArgument(f"Cannot describe dataset {text!r}: {what}; from_file needs a file")
    try:
        digest = file_digest(text)
        size = os.path.getsize(text)
    except OSError as e:
        raise InvalidArgument(f"Cannot read dataset file {text!r}: {e.strerror or e}") from None
    source_type, src = _resolve_source(text if source is None else source)
    return FileDataset(
        os.path.abspath(text),
        name=_check_name(name, os.path.basename(text)),
        digest=digest,
        source_type=source_type,
        source=src,
        schema=None,
        profile={"size": size},
    )


# -- recording in runs ------------------------------------------------------------------


def _dataset_dict(dataset: Any) -> dict[str, Any]:
    if isinstance(dataset, Dataset):
        d = dataset.to_dict()
    elif isinstance(dataset, Mapping):
        d = dict(dataset)
    else:
        # MLflow-style objects (an mlflow Dataset, or ours from another import).
        to_dict = getattr(dataset, "to_dict", None)
        if not callable(to_dict):
            raise InvalidArgument(
                f"Cannot log {type(dataset).__name__} as a run input: expected a dataset from "
                "litetrack.data.from_pandas / from_numpy / from_file, or a dict"
            )
        d = dict(to_dict())
    if not isinstance(d.get("name"), str) or not isinstance(d.get("digest"), str):
        raise InvalidArgument(f"A dataset needs a string 'name' and 'digest'; got {sorted(d)!r}")
    try:
        json.dumps(d, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise InvalidArgument(f"Dataset {d['name']!r} is not JSON-serialisable: {e}") from None
    return d


def input_entry(
    dataset: Any, context: str | None = None, tags: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The ``{"dataset": ..., "tags": ...}`` entry recorded for one input (validated)."""
    clean: dict[str, str] = {}
    for k, v in (tags or {}).items():
        # MLflow's words for a missing key or value
        if k is None:
            raise InvalidArgument(f"InputTag key cannot be None (value {v!r})")
        if v is None:
            raise InvalidArgument(f"InputTag value cannot be None (key {k!r})")
        k = validate_key(k, "input tag key")
        clean[k] = validate_tag_value(k, v)
    if context is not None:
        clean[CONTEXT_TAG] = validate_tag_value(CONTEXT_TAG, context)
    return {"dataset": _dataset_dict(dataset), "tags": clean}


def log_inputs(store: Store, run_id: str, entries: Iterable[dict[str, Any]]) -> int:
    """Record input entries in a run with one write; return how many were new.

    An entry whose name, digest and context the run already has is skipped
    (logging the same dataset every epoch records it once).
    """
    store.ensure_writable()
    writer = store.runs.writer(run_id)
    seen = {input_key(e) for e in store.runs.read(run_id).get("inputs") or ()}
    records = []
    for entry in entries:
        key = input_key(entry)
        if key not in seen:
            seen.add(key)
            records.append({"input": entry})
    writer.log_records(records)
    return len(records)
