"""Signature enforcement at predict time, with MLflow's rules.

Column-based signatures:

* the input becomes a DataFrame (dicts, lists of records, Series, 2-d arrays);
* a required column that is missing raises
  :class:`~litetrack.errors.InvalidArgument` naming every missing column;
* extra columns are dropped and the columns come in the signature's order;
* each column is converted when the conversion cannot change a value
  (``int32 -> long``, ``float32 -> double``, ``int32 -> double``, ``int16 ->
  float``, ``uint8 -> integer``, any datetime precision, ``int64`` 0/1 flags
  to floats);
  anything else (``double -> float``, ``float -> long``, ``string -> double``
  ...) raises, naming the column and both types.

Tensor-based signatures check the shape (``-1`` matches any size) and
convert the dtype when numpy calls the cast safe, else raise.
"""

from __future__ import annotations

import logging
from typing import Any

from litetrack.errors import InvalidArgument
from litetrack.models.signature import DataType, Schema, TensorSpec, _is_sparse

__all__ = ["enforce_schema"]

_log = logging.getLogger(__name__)


def _incompatible(name: Any, have: Any, want: Any, hint: str = "") -> InvalidArgument:
    return InvalidArgument(
        f"Incompatible input types for column {name!r}. "
        f"Can not safely convert {have} to {want}.{hint}",
        column=str(name),
    )


def _is_object(dtype: Any) -> bool:
    import numpy as np

    return isinstance(dtype, np.dtype) and dtype.kind == "O"


def _enforce_column(name: Any, values: Any, t: Any) -> Any:
    import numpy as np
    import pandas as pd

    if not isinstance(t, DataType):
        return values  # array/object/map types of MLflow signatures: passed as they are
    dtype = values.dtype
    if _is_object(dtype) and t not in (DataType.binary, DataType.string):
        values = values.infer_objects()
        dtype = values.dtype
    if t is DataType.string:
        if _is_object(dtype) or isinstance(dtype, pd.StringDtype):
            return values
        raise _incompatible(name, dtype, "string")
    if t is DataType.binary:
        if _is_object(dtype) or dtype.kind == "S":
            return values
        raise _incompatible(name, dtype, "binary")
    if t is DataType.datetime:
        if dtype.kind == "M" or isinstance(dtype, pd.DatetimeTZDtype):
            return values
        if _is_object(dtype):
            try:
                return pd.to_datetime(values, errors="raise")
            except (ValueError, TypeError) as exc:
                raise InvalidArgument(
                    f"Failed to convert column {name!r} from type {dtype} to datetime: {exc}",
                    column=str(name),
                ) from None
        raise _incompatible(name, dtype, "datetime")
    if t is DataType.boolean and _is_object(dtype):
        return values  # converting would turn None into False
    target = t.to_numpy()
    numpy_dtype = getattr(dtype, "numpy_dtype", None)  # nullable Int64/Float64/boolean
    if numpy_dtype is not None:
        if values.isna().any():
            if target.kind == "f":
                return values.astype(target)
            raise _incompatible(name, dtype, target, " Hint: the column has missing values.")
        values = values.astype(numpy_dtype)
        dtype = numpy_dtype
    if dtype == target:
        return values
    kind, tkind = dtype.kind, target.kind
    if kind == tkind:
        safe = dtype.itemsize <= target.itemsize
    elif kind == "u" and tkind == "i":
        safe = dtype.itemsize < target.itemsize
    elif kind in "iu" and tkind == "f":
        # Exact when every integer fits the mantissa: 16-bit ints in float, 32-bit in double.
        safe = dtype.itemsize * 2 <= target.itemsize
    else:
        safe = False
    if safe:
        return values.astype(target)
    if dtype == np.int64 and tkind == "f" and bool(values.isin([0, 1]).all()):
        return values.astype(target)  # 0/1 flags stored as integers
    hint = ""
    if kind == "f" and tkind in "iu" and values.hasnans:
        nonnull = values.dropna()
        if bool((nonnull == nonnull.round()).all()):
            hint = (
                " Hint: the type mismatch is likely caused by missing values: integer columns "
                "cannot hold them and become floats. Declare such columns as double."
            )
    raise _incompatible(name, dtype, target, hint)


def _to_dataframe(data: Any, schema: Schema) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    if isinstance(data, dict):
        if all(np.isscalar(v) or v is None for v in data.values()):
            return pd.DataFrame([data])
        return pd.DataFrame(data)
    if isinstance(data, (list, tuple)):
        if data and all(isinstance(r, dict) for r in data):
            return pd.DataFrame.from_records(list(data))
        return pd.DataFrame(list(data))
    if isinstance(data, np.ndarray):
        if schema.has_input_names() and data.ndim == 2 and data.shape[1] == len(schema.inputs):
            return pd.DataFrame(data, columns=schema.input_names())
        if data.ndim == 1 and len(schema.inputs) == 1:
            return pd.DataFrame({schema.input_names()[0]: data})
        return pd.DataFrame(data)
    if np.isscalar(data):
        return pd.DataFrame([data])
    raise InvalidArgument(
        f"This model has a column-based signature and expects a pandas DataFrame (or a dict, "
        f"a list of records, a 2-d array); got {type(data).__name__}"
    )


def _enforce_columns(data: Any, schema: Schema) -> Any:
    import pandas as pd

    df = _to_dataframe(data, schema)
    if not schema.has_input_names():
        n = len(schema.inputs)
        if df.shape[1] < n:
            raise InvalidArgument(
                f"Model is missing inputs: the signature declares {n} unnamed columns and the "
                f"input has {df.shape[1]}"
            )
        cols = list(df.columns[:n])
        return pd.DataFrame(
            {
                c: _enforce_column(c, df[c], spec.type)
                for c, spec in zip(cols, schema.inputs, strict=True)
            },
            index=df.index,
        )
    by_name = {str(c): c for c in df.columns}
    names = schema.input_names()
    missing = [
        n
        for n, spec in zip(names, schema.inputs, strict=True)
        if spec.required and n not in by_name
    ]
    if missing:
        wanted = set(names)
        extra = [str(c) for c in df.columns if str(c) not in wanted]
        note = f" Note that there were extra inputs: {extra}" if extra else ""
        raise InvalidArgument(f"Model is missing inputs {missing}.{note}", missing=missing)
    present = [(n, spec) for n, spec in zip(names, schema.inputs, strict=True) if n in by_name]
    # Fast path: already the right columns, order and types.
    if [str(c) for c in df.columns] == [n for n, _ in present] and all(
        isinstance(spec.type, DataType)
        and df[by_name[n]].dtype == spec.type.to_numpy()
        and spec.type not in (DataType.string, DataType.binary)
        for n, spec in present
    ):
        return df
    if len(by_name) > len(present):
        _log.debug(
            "ignoring input columns not in the signature: %s",
            [c for c in by_name if c not in dict(present)],
        )
    return pd.DataFrame(
        {n: _enforce_column(n, df[by_name[n]], spec.type) for n, spec in present}, index=df.index
    )


def _enforce_tensor(values: Any, spec: TensorSpec, what: str) -> Any:
    import numpy as np

    shape = values.shape
    if len(shape) != len(spec.shape) or any(
        w not in (-1, h) for w, h in zip(spec.shape, shape, strict=True)
    ):
        raise InvalidArgument(
            f"Shape of {what} {tuple(shape)} does not match expected shape {spec.shape}"
        )
    if values.dtype == spec.type:
        return values
    if np.can_cast(values.dtype, spec.type, casting="safe"):
        return values.astype(spec.type)
    raise InvalidArgument(
        f"dtype of {what} {values.dtype} does not match expected dtype {spec.type} "
        "and cannot be converted safely"
    )


def _enforce_tensors(data: Any, schema: Schema) -> Any:
    import numpy as np
    import pandas as pd

    if schema.has_input_names():
        if isinstance(data, pd.DataFrame):
            data = {
                c: np.vstack(data[c].tolist()) if data[c].dtype == object else data[c].to_numpy()
                for c in data.columns
            }
        if not isinstance(data, dict):
            raise InvalidArgument(
                "This model has a signature of named tensors and expects a dict of numpy "
                f"arrays; got {type(data).__name__}"
            )
        missing = [s.name for s in schema.inputs if s.name not in data]
        if missing:
            raise InvalidArgument(f"Model is missing inputs {missing}.", missing=missing)
        return {
            s.name: _enforce_tensor(np.asarray(data[s.name]), s, f"input {s.name!r}")
            for s in schema.inputs
            if s.name is not None and isinstance(s, TensorSpec)
        }
    spec = schema.inputs[0]
    assert isinstance(spec, TensorSpec)
    if isinstance(data, pd.DataFrame):
        if data.empty:
            raise InvalidArgument("Input DataFrame is empty.")
        arr = data.to_numpy()
        if arr.ndim == 2 and arr.shape[1] == 1 and len(spec.shape) == 1:
            arr = arr[:, 0]
        return _enforce_tensor(arr, spec, "input")
    if _is_sparse(data):
        return _enforce_tensor(data, spec, "input")
    if isinstance(data, (list, tuple, pd.Series)):
        data = np.asarray(data)
    if isinstance(data, np.ndarray):
        return _enforce_tensor(data, spec, "input")
    raise InvalidArgument(
        "This model has a tensor signature and expects a numpy array, a scipy sparse matrix or "
        f"a DataFrame; got {type(data).__name__}"
    )


def enforce_schema(data: Any, schema: Schema) -> Any:
    """``data`` checked and converted to match ``schema`` (see the module doc).

    Returns a DataFrame for column signatures, an array / sparse matrix /
    dict of arrays for tensor signatures. Raises
    :class:`~litetrack.errors.InvalidArgument` naming the missing columns or
    the column whose type cannot be converted safely.
    """
    if not schema.inputs:
        return data
    if schema.is_tensor_spec():
        return _enforce_tensors(data, schema)
    return _enforce_columns(data, schema)
