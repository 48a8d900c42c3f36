"""Model signatures: the columns or tensors a model takes and returns (MLflow's types).

A :class:`ModelSignature` holds an input :class:`Schema`, an optional output
schema and optional :class:`ParamSchema`. A schema is either a list of
:class:`ColSpec` (named or unnamed typed columns, for DataFrames) or of
:class:`TensorSpec` (numpy dtype and shape, ``-1`` for a variable dimension).
``to_dict`` gives the JSON strings MLflow writes under ``signature:`` in an
``MLmodel`` file, so signatures written by either tool read in the other.

Nothing here imports numpy or pandas until a signature is inferred from data:
reading a model's signature costs a JSON parse.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import Enum
from typing import Any

from litetrack.errors import InvalidArgument

__all__ = [
    "ColSpec",
    "DataType",
    "ModelSignature",
    "ParamSchema",
    "ParamSpec",
    "Schema",
    "TensorSpec",
    "infer_signature",
]


class DataType(Enum):
    """Column types of a column-based schema (MLflow's names)."""

    boolean = "bool"
    integer = "int32"
    long = "int64"
    float = "float32"
    double = "float64"
    string = "object"
    binary = "object"  # same numpy storage as string; Enum keeps both by name
    datetime = "datetime64[ns]"

    def __new__(cls, numpy_name: str) -> DataType:
        obj = object.__new__(cls)
        obj._value_ = len(cls.__members__) + 1
        obj._numpy_name = numpy_name  # type: ignore[attr-defined]
        return obj

    def __repr__(self) -> str:
        return self.name

    def to_numpy(self) -> Any:
        """The numpy dtype values of this type are stored as."""
        import numpy as np

        return np.dtype(self._numpy_name)  # type: ignore[attr-defined]

    def to_pandas(self) -> Any:
        """The pandas dtype (numpy's; object for strings and bytes)."""
        return self.to_numpy()

    def to_python(self) -> type:
        """The Python type of one value."""
        import datetime

        return {
            "boolean": bool,
            "integer": int,
            "long": int,
            "float": float,
            "double": float,
            "string": str,
            "binary": bytes,
            "datetime": datetime.datetime,
        }[self.name]


def _data_type(name: Any) -> DataType | dict[str, Any]:
    if isinstance(name, DataType):
        return name
    if isinstance(name, str) and name in DataType.__members__:
        return DataType[name]
    if isinstance(name, dict):
        # MLflow's array/object/map/any types: kept as written, not enforced.
        return name
    raise InvalidArgument(
        f"unknown column type {name!r}; expected one of {sorted(DataType.__members__)}"
    )


class ColSpec:
    """A column: ``type`` (a :class:`DataType` or its name), optional ``name``, ``required``."""

    def __init__(self, type: Any, name: str | None = None, required: bool = True) -> None:
        self.type = _data_type(type)
        self.name = None if name is None else str(name)
        self.required = bool(required)

    def to_dict(self) -> dict[str, Any]:
        """MLflow's JSON form: ``{"type": "double", "name": "x", "required": true}``."""
        out: dict[str, Any] = {
            "type": self.type.name if isinstance(self.type, DataType) else self.type["type"]
        }
        if not isinstance(self.type, DataType):
            out.update({k: v for k, v in self.type.items() if k != "type"})
        if self.name is not None:
            out["name"] = self.name
        out["required"] = self.required
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ColSpec:
        """Read the JSON form (MLflow's; ``required`` defaults to true)."""
        t = d.get("type")
        if t in DataType.__members__:
            dtype: Any = t
        else:
            dtype = {k: v for k, v in d.items() if k not in ("name", "required")}
        return cls(dtype, d.get("name"), d.get("required", True))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ColSpec) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        t = self.type.name if isinstance(self.type, DataType) else self.type.get("type")
        name = f"{self.name!r}: " if self.name is not None else ""
        return f"{name}{t!r}{'' if self.required else ' (optional)'}"


class TensorSpec:
    """A tensor: numpy ``type`` (dtype), ``shape`` (``-1`` = any size), optional ``name``."""

    def __init__(
        self, type: Any, shape: tuple[int, ...] | list[int], name: str | None = None
    ) -> None:
        import numpy as np

        self.type = np.dtype(type)
        self.shape = tuple(int(s) for s in shape)
        self.name = None if name is None else str(name)

    def to_dict(self) -> dict[str, Any]:
        """MLflow's JSON form: ``{"type": "tensor", "tensor-spec": {"dtype", "shape"}}``."""
        spec = {"dtype": str(self.type), "shape": list(self.shape)}
        if self.name is None:
            return {"type": "tensor", "tensor-spec": spec}
        return {"name": self.name, "type": "tensor", "tensor-spec": spec}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TensorSpec:
        """Read the JSON form."""
        spec = d.get("tensor-spec") or {}
        return cls(spec.get("dtype"), spec.get("shape") or (), d.get("name"))

    @property
    def required(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TensorSpec) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        name = f"{self.name!r}: " if self.name is not None else ""
        return f"{name}Tensor({str(self.type)!r}, {self.shape})"


class Schema:
    """An ordered list of :class:`ColSpec` or of :class:`TensorSpec` (not both)."""

    def __init__(self, inputs: Sequence[ColSpec | TensorSpec]) -> None:
        specs: list[ColSpec | TensorSpec] = list(inputs)
        kinds = {type(i) for i in specs}
        if len(kinds) > 1:
            raise InvalidArgument("a schema holds either ColSpecs or TensorSpecs, not both")
        names = [i.name for i in specs]
        if any(n is None for n in names) and any(n is not None for n in names):
            raise InvalidArgument(f"schema inputs must be all named or all unnamed, got {names}")
        if len(set(names)) != len(names) and names and names[0] is not None:
            raise InvalidArgument(f"schema has duplicate names: {names}")
        self.inputs = specs

    def is_tensor_spec(self) -> bool:
        """Whether the inputs are tensors."""
        return bool(self.inputs) and isinstance(self.inputs[0], TensorSpec)

    def has_input_names(self) -> bool:
        """Whether the inputs are named."""
        return bool(self.inputs) and self.inputs[0].name is not None

    def input_names(self) -> list[str]:
        """Names of the inputs (positions as strings when unnamed)."""
        return [i.name if i.name is not None else str(n) for n, i in enumerate(self.inputs)]

    def required_input_names(self) -> list[str]:
        """Names of the inputs that must be present."""
        return [n for n, i in zip(self.input_names(), self.inputs, strict=True) if i.required]

    def input_types(self) -> list[Any]:
        """The type of each input (DataType or numpy dtype)."""
        return [i.type for i in self.inputs]

    def to_dict(self) -> list[dict[str, Any]]:
        """The list of specs in JSON form."""
        return [i.to_dict() for i in self.inputs]

    def to_json(self) -> str:
        """The JSON string stored in ``MLmodel`` (MLflow's separators)."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> Schema:
        """Read a schema from its JSON string."""
        items = json.loads(text)
        if not isinstance(items, list):
            raise InvalidArgument(f"a schema is a JSON list of specs, got {text[:80]!r}")
        return cls(
            [
                TensorSpec.from_dict(d) if d.get("type") == "tensor" else ColSpec.from_dict(d)
                for d in items
            ]
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and self.to_dict() == other.to_dict()

    def __len__(self) -> int:
        return len(self.inputs)

    def __repr__(self) -> str:
        return "[" + ", ".join(repr(i) for i in self.inputs) + "]"


class ParamSpec:
    """A named inference parameter with a type and a default (MLflow's ``ParamSpec``)."""

    def __init__(
        self, name: str, dtype: Any, default: Any, shape: tuple[int, ...] | None = None
    ) -> None:
        self.name = str(name)
        t = _data_type(dtype)
        if not isinstance(t, DataType):
            raise InvalidArgument(f"param {name!r}: only scalar types are supported, got {dtype!r}")
        self.dtype = t
        self.default = default
        self.shape = tuple(shape) if shape is not None else None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        default = self.default
        if hasattr(default, "isoformat"):
            default = default.isoformat()
        return {
            "name": self.name,
            "type": self.dtype.name,
            "default": default,
            "shape": list(self.shape) if self.shape is not None else None,
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParamSpec) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"{self.name!r}: {self.dtype.name!r} (default: {self.default!r})"


class ParamSchema:
    """The inference parameters a model's ``predict(..., params=...)`` accepts."""

    def __init__(self, params: list[ParamSpec]) -> None:
        self.params = list(params)

    def to_json(self) -> str:
        """The JSON string stored in ``MLmodel``."""
        return json.dumps([p.to_dict() for p in self.params])

    @classmethod
    def from_json(cls, text: str) -> ParamSchema:
        """Read from the JSON string."""
        return cls(
            [
                ParamSpec(d["name"], d["type"], d.get("default"), d.get("shape"))
                for d in json.loads(text)
            ]
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParamSchema) and self.to_json() == other.to_json()

    def __repr__(self) -> str:
        return "[" + ", ".join(repr(p) for p in self.params) + "]"


class ModelSignature:
    """What a model takes (``inputs``), returns (``outputs``) and accepts as ``params``."""

    def __init__(
        self,
        inputs: Schema | None = None,
        outputs: Schema | None = None,
        params: ParamSchema | None = None,
    ) -> None:
        for what, value, kind in (
            ("inputs", inputs, Schema),
            ("outputs", outputs, Schema),
            ("params", params, ParamSchema),
        ):
            if value is not None and not isinstance(value, kind):
                raise InvalidArgument(
                    f"ModelSignature {what} must be a {kind.__name__}, got {type(value).__name__}"
                )
        self.inputs = inputs
        self.outputs = outputs
        self.params = params

    def to_dict(self) -> dict[str, str | None]:
        """``{"inputs": json, "outputs": json, "params": json}`` as written in ``MLmodel``."""
        return {
            "inputs": self.inputs.to_json() if self.inputs is not None else None,
            "outputs": self.outputs.to_json() if self.outputs is not None else None,
            "params": self.params.to_json() if self.params is not None else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelSignature:
        """Read the ``signature:`` section of an ``MLmodel`` file."""
        inputs = d.get("inputs")
        outputs = d.get("outputs")
        params = d.get("params")
        return cls(
            Schema.from_json(inputs) if inputs else None,
            Schema.from_json(outputs) if outputs else None,
            ParamSchema.from_json(params) if params else None,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModelSignature) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return (
            f"inputs:\n  {self.inputs!r}\noutputs:\n  {self.outputs!r}\n"
            f"params:\n  {self.params!r}\n"
        )


# --------------------------------------------------------------------------
# Inference from data
# --------------------------------------------------------------------------


def _numpy_data_type(dtype: Any) -> DataType:
    kind, size = dtype.kind, dtype.itemsize
    if kind == "b":
        return DataType.boolean
    if kind in "iu":
        if size < 4 or (kind == "i" and size == 4):
            return DataType.integer
        if size < 8 or (kind == "i" and size == 8):
            return DataType.long
    elif kind == "f":
        if size <= 4:
            return DataType.float
        if size <= 8:
            return DataType.double
    elif kind == "U":
        return DataType.string
    elif kind == "S":
        return DataType.binary
    elif kind == "M":
        return DataType.datetime
    raise InvalidArgument(f"cannot infer a column type for numpy dtype {dtype}")


def _object_data_type(values: Any, name: Any) -> DataType:
    import datetime

    kinds = set()
    for v in values:
        if v is None or (isinstance(v, float) and v != v):
            continue
        if isinstance(v, str):
            kinds.add(DataType.string)
        elif isinstance(v, (bytes, bytearray)):
            kinds.add(DataType.binary)
        elif isinstance(v, bool):
            kinds.add(DataType.boolean)
        elif isinstance(v, int):
            kinds.add(DataType.long)
        elif isinstance(v, float):
            kinds.add(DataType.double)
        elif isinstance(v, (datetime.date, datetime.datetime)):
            kinds.add(DataType.datetime)
        else:
            raise InvalidArgument(
                f"cannot infer a type for column {name!r}: it holds {type(v).__name__} values; "
                "give the signature explicitly"
            )
    if kinds <= {DataType.long, DataType.double} and kinds:
        return DataType.double if DataType.double in kinds else DataType.long
    if len(kinds) == 1:
        return kinds.pop()
    if not kinds:
        return DataType.string
    raise InvalidArgument(
        f"cannot infer a type for column {name!r}: it mixes {sorted(k.name for k in kinds)}"
    )


def column_data_type(series: Any) -> DataType:
    """The :class:`DataType` of a pandas Series (values inspected for object columns)."""
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype):
        return DataType.string
    if isinstance(dtype, pd.CategoricalDtype):
        return column_data_type(pd.Series(dtype.categories))
    if isinstance(dtype, pd.DatetimeTZDtype):
        return DataType.datetime
    numpy_dtype = getattr(dtype, "numpy_dtype", None)  # nullable Int64, Float64, boolean
    if numpy_dtype is not None:
        return _numpy_data_type(numpy_dtype)
    if dtype.kind == "O":
        return _object_data_type(series, series.name)
    return _numpy_data_type(dtype)


def _is_sparse(data: Any) -> bool:
    mod = type(data).__module__
    return mod.startswith("scipy.sparse") and hasattr(data, "tocsr")


def _is_scalar(v: Any) -> bool:
    import numpy as np

    return v is None or np.isscalar(v)


def infer_schema(data: Any) -> Schema:
    """The :class:`Schema` of a DataFrame, Series, dict, list, numpy array or sparse matrix.

    DataFrames, dicts of scalars or 1-d lists, lists of dicts (records) and
    scalars give named or unnamed columns; numpy arrays, lists of lists,
    sparse matrices and dicts of n-d arrays give tensors (first dimension
    ``-1``). Raises :class:`~litetrack.errors.InvalidArgument` for data it
    cannot describe.
    """
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return Schema([ColSpec(column_data_type(data[c]), str(c)) for c in data.columns])
    if isinstance(data, pd.Series):
        return Schema(
            [ColSpec(column_data_type(data), None if data.name is None else str(data.name))]
        )
    if isinstance(data, dict):
        if data and all(isinstance(v, np.ndarray) and v.ndim > 1 for v in data.values()):
            return Schema(
                [TensorSpec(v.dtype, (-1, *v.shape[1:]), str(k)) for k, v in data.items()]
            )
        if all(_is_scalar(v) for v in data.values()):
            return infer_schema(pd.DataFrame([data]))
        return infer_schema(
            pd.DataFrame(
                {k: list(np.ravel(v)) if not _is_scalar(v) else [v] for k, v in data.items()}
            )
        )
    if isinstance(data, np.ndarray):
        if data.ndim == 0:
            return Schema([ColSpec(_numpy_data_type(data.dtype))])
        if data.dtype.kind == "O":
            return Schema([ColSpec(_object_data_type(data.ravel(), None))])
        return Schema([TensorSpec(data.dtype, (-1, *data.shape[1:]))])
    if _is_sparse(data):
        return Schema([TensorSpec(data.dtype, (-1, *data.shape[1:]))])
    if isinstance(data, (list, tuple)):
        if not data:
            raise InvalidArgument("cannot infer a schema from an empty list")
        if all(isinstance(r, dict) for r in data):
            return infer_schema(pd.DataFrame.from_records(list(data)))
        if all(_is_scalar(v) for v in data):
            return infer_schema(pd.Series(list(data)))
        return infer_schema(np.asarray(data))
    if _is_scalar(data):
        return infer_schema(pd.Series([data]))
    raise InvalidArgument(
        f"cannot infer a schema from {type(data).__name__}; expected a pandas DataFrame or "
        "Series, a numpy array, a scipy sparse matrix, a dict, a list or a scalar"
    )


def _infer_params(params: dict[str, Any]) -> ParamSchema:
    import numpy as np

    specs = []
    for name, value in params.items():
        if isinstance(value, (list, tuple)):
            arr = np.asarray(value)
            specs.append(
                ParamSpec(
                    name,
                    _numpy_data_type(arr.dtype) if arr.dtype.kind != "U" else DataType.string,
                    list(value),
                    (-1,),
                )
            )
        elif isinstance(value, str):
            specs.append(ParamSpec(name, DataType.string, value))
        elif isinstance(value, bool):
            specs.append(ParamSpec(name, DataType.boolean, value))
        elif isinstance(value, int):
            specs.append(ParamSpec(name, DataType.long, value))
        elif isinstance(value, float):
            specs.append(ParamSpec(name, DataType.double, value))
        else:
            specs.append(ParamSpec(name, _numpy_data_type(np.asarray(value).dtype), value))
    return ParamSchema(specs)


def infer_signature(
    model_input: Any = None, model_output: Any = None, params: dict[str, Any] | None = None
) -> ModelSignature:
    """A :class:`ModelSignature` from example input (and output, and params) data.

    ``infer_signature(X_val, model.predict(X_val))``: a DataFrame gives one
    column per DataFrame column (``double``, ``long``, ``string`` ...), a
    numpy array or sparse matrix a tensor with a variable first dimension.
    Raises :class:`~litetrack.errors.InvalidArgument` for data that cannot be
    described (mixed-type object columns, unsupported objects).
    """
    inputs = infer_schema(model_input) if model_input is not None else None
    outputs = infer_schema(model_output) if model_output is not None else None
    return ModelSignature(inputs, outputs, _infer_params(params) if params else None)
