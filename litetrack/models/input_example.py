"""Input examples saved with a model, in MLflow's file formats.

* DataFrame-like examples (DataFrames, dicts, lists of records, Series):
  ``input_example.json`` = ``{"columns": [...], "data": [[...], ...]}``
  (pandas' ``split`` orient without the index), type ``dataframe``;
* numpy arrays: ``{"inputs": [[...]]}``, type ``ndarray``;
* scipy sparse matrices: ``{"data", "indices", "indptr", "shape"}``, type
  ``sparse_matrix_csr`` / ``sparse_matrix_csc``.

``serving_input_example.json`` holds the same example as a scoring server
request body (``{"dataframe_split": ...}`` or ``{"inputs": ...}``), as MLflow
3 writes it.
"""

from __future__ import annotations

import base64
import datetime
import json
from pathlib import Path
from typing import Any

from litetrack.errors import InvalidArgument
from litetrack.models.signature import _is_sparse

__all__ = ["as_example_data", "load_input_example", "save_input_example"]

EXAMPLE_FILE = "input_example.json"
SERVING_FILE = "serving_input_example.json"


def _default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (datetime.date, datetime.datetime)):
        return obj.isoformat()
    if isinstance(obj, (bytes, bytearray)):
        return base64.b64encode(bytes(obj)).decode("ascii")
    if hasattr(obj, "isoformat"):  # pandas Timestamp
        return obj.isoformat()
    raise TypeError(f"cannot write {type(obj).__name__} in an input example")


def _dumps(doc: Any) -> bytes:
    return json.dumps(doc, default=_default).encode("utf-8")


def as_example_data(example: Any) -> Any:
    """The example as the data a model is called with: DataFrame, array or sparse matrix."""
    import numpy as np
    import pandas as pd


    if isinstance(example, (pd.DataFrame, np.ndarray)) or _is_sparse(example):
        return example
    if isinstance(example, pd.Series):
        return example.to_frame()
    if isinstance(example, dict):
        if all(isinstance(v, np.ndarray) for v in example.values()):
            return example
        if all(np.isscalar(v) or v is None for v in example.values()):
            return pd.DataFrame([example])
        return pd.DataFrame(example)
    if isinstance(example, (list, tuple)):
        if example and all(isinstance(r, dict) for r in example):
            return pd.DataFrame.from_records(list(example))
        if example and all(np.isscalar(v) for v in example):
            return pd.DataFrame(list(example))
        return np.asarray(example)
    raise InvalidArgument(
        f"Unsupported input example of type {type(example).__name__}: expected a pandas "
        "DataFrame, a dict, a list of records, a numpy array or a scipy sparse matrix"
    )


def save_input_example(folder: str | Path, example: Any) -> dict[str, Any]:
    """Write ``example`` into ``folder``; return ``saved_input_example_info`` for MLmodel."""
    import numpy as np
    import pandas as pd


    data = as_example_data(example)
    root = Path(folder)
    info: dict[str, Any] = {"artifact_path": EXAMPLE_FILE, "serving_input_path": SERVING_FILE}
    if isinstance(data, pd.DataFrame):
        split = data.to_dict(orient="split", index=False)
        body = {"columns": [str(c) for c in split["columns"]], "data": split["data"]}
        serving = {"dataframe_split": body}
        info.update(type="dataframe", pandas_orient="split")
    elif isinstance(data, np.ndarray):
        body = {"inputs": data.tolist()}
        serving = body
        info.update(type="ndarray", format="tf-serving")
    elif isinstance(data, dict):
        body = {"inputs": {k: np.asarray(v).tolist() for k, v in data.items()}}
        serving = body
        info.update(type="ndarray", format="tf-serving")
    elif _is_sparse(data):
        fmt = "csc" if getattr(data, "format", "csr") == "csc" else "csr"
        m = data.tocsc() if fmt == "csc" else data.tocsr()
        body = {
            "data": m.data.tolist(),
            "indices": m.indices.tolist(),
            "indptr": m.indptr.tolist(),
            "shape": list(m.shape),
        }
        serving = {"inputs": body}
        info.update(type=f"sparse_matrix_{fmt}")
    else:  # pragma: no cover - as_example_data returns one of the above
        raise InvalidArgument(f"Unsupported input example {type(data).__name__}")
    (root / EXAMPLE_FILE).write_bytes(_dumps(body))
    (root / SERVING_FILE).write_bytes(_dumps(serving))
    return info


def load_input_example(folder: str | Path, info: dict[str, Any]) -> Any:
    """Read the example described by ``saved_input_example_info`` back from ``folder``."""
    import numpy as np

    path = Path(folder) / str(info.get("artifact_path") or EXAMPLE_FILE)
    doc = json.loads(path.read_text("utf-8"))
    kind = info.get("type")
    if kind == "dataframe":
        import pandas as pd

        if info.get("pandas_orient", "split") == "records":
            return pd.DataFrame.from_records(doc)
        return pd.DataFrame(doc.get("data", []), columns=doc.get("columns"))
    if kind == "ndarray":
        inputs = doc.get("inputs", doc.get("instances"))
        if isinstance(inputs, dict):
            return {k: np.asarray(v) for k, v in inputs.items()}
        return np.asarray(inputs)
    if kind in ("sparse_matrix_csr", "sparse_matrix_csc"):
        from scipy import sparse

        cls = sparse.csc_matrix if kind.endswith("csc") else sparse.csr_matrix
        return cls((doc["data"], doc["indices"], doc["indptr"]), shape=tuple(doc["shape"]))
    return doc  # json_object and other kinds: the parsed JSON
