"""Signatures: inference, MLflow's JSON form, and enforcement at predict time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")

from litetrack import pyfunc  # noqa: E402
from litetrack.errors import InvalidArgument  # noqa: E402
from litetrack.models import infer_signature  # noqa: E402
from litetrack.models.enforce import enforce_schema  # noqa: E402
from litetrack.models.pickled import save_model  # noqa: E402
from litetrack.models.signature import (  # noqa: E402
    ColSpec,
    DataType,
    ModelSignature,
    Schema,
    TensorSpec,
)


def test_infer_from_dataframe_and_array_in_mlflow_json() -> None:
    df = pd.DataFrame(
        {
            "d": [1.5, 2.5],
            "f": np.array([1, 2], dtype=np.float32),
            "l": [1, 2],
            "i": np.array([1, 2], dtype=np.int32),
            "s": ["a", "b"],
            "b": [True, False],
            "t": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "o": ["x", None],
        }
    )
    sig = infer_signature(df, np.array([0.5, 1.5], dtype=np.float32))
    # The strings MLflow writes under signature: in MLmodel.
    assert sig.to_dict() == {
        "inputs": (
            '[{"type": "double", "name": "d", "required": true}, '
            '{"type": "float", "name": "f", "required": true}, '
            '{"type": "long", "name": "l", "required": true}, '
            '{"type": "integer", "name": "i", "required": true}, '
            '{"type": "string", "name": "s", "required": true}, '
            '{"type": "boolean", "name": "b", "required": true}, '
            '{"type": "datetime", "name": "t", "required": true}, '
            '{"type": "string", "name": "o", "required": true}]'
        ),
        "outputs": '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}]',
        "params": None,
    }
    assert ModelSignature.from_dict(sig.to_dict()) == sig
    assert infer_signature(np.zeros((3, 4), dtype=np.float64)).inputs.to_dict() == [
        {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}
    ]


def test_infer_from_records_dicts_series_and_sparse() -> None:
    sparse = pytest.importorskip("scipy.sparse")  # comes with the sklearn extra

    assert infer_signature([{"a": "x", "b": 1.0}]).inputs == Schema(
        [ColSpec("string", "a"), ColSpec("double", "b")]
    )
    assert infer_signature({"a": 1, "b": "x"}).inputs == Schema(
        [ColSpec("long", "a"), ColSpec("string", "b")]
    )
    assert infer_signature(pd.Series([1.0], name="y")).inputs == Schema([ColSpec("double", "y")])
    spec = infer_signature(sparse.csr_matrix(np.eye(3, dtype=np.float32))).inputs.inputs[0]
    assert isinstance(spec, TensorSpec) and spec.shape == (-1, 3) and spec.type == np.float32
    with pytest.raises(InvalidArgument, match="mixes"):
        infer_signature(pd.DataFrame({"m": ["a", 1]}))


def test_reads_mlflow_signatures_without_required_and_with_complex_types() -> None:
    sig = ModelSignature.from_dict(
        {
            "inputs": '[{"name": "a", "type": "double"}, '
            '{"name": "tags", "type": "array", "items": {"type": "string"}}]',
            "outputs": None,
        }
    )
    assert sig.inputs.inputs[0] == ColSpec(DataType.double, "a", True)
    assert json.loads(sig.inputs.to_json())[1] == {
        "type": "array",
        "items": {"type": "string"},
        "name": "tags",
        "required": True,
    }


@pytest.fixture
def schema() -> Schema:
    return Schema([ColSpec("double", "a"), ColSpec("long", "b"), ColSpec("string", "c")])


def test_missing_columns_are_named(schema: Schema) -> None:
    with pytest.raises(InvalidArgument) as err:
        enforce_schema(pd.DataFrame({"b": [1], "z": [0]}), schema)
    assert "['a', 'c']" in str(err.value)
    assert "extra inputs: ['z']" in str(err.value)
    assert err.value.missing == ["a", "c"]


def test_extra_columns_ignored_and_order_of_the_signature(schema: Schema) -> None:
    df = pd.DataFrame({"c": ["x"], "extra": [9], "b": [2], "a": [1.5]})
    out = enforce_schema(df, schema)
    assert list(out.columns) == ["a", "b", "c"]
    assert out.iloc[0].tolist() == [1.5, 2, "x"]


@pytest.mark.parametrize(
    ("values", "dtype", "target"),
    [
        (np.array([1, 2], dtype=np.int32), "long", np.int64),
        (np.array([1.5], dtype=np.float32), "double", np.float64),
        (np.array([1, 2], dtype=np.int32), "double", np.float64),
        (np.array([1, 2], dtype=np.uint8), "integer", np.int32),
        (np.array([0, 1], dtype=np.int64), "double", np.float64),  # 0/1 flags
        (np.array([1, 2], dtype=np.int16), "float", np.float32),
    ],
)
def test_safe_conversions_happen(values, dtype: str, target) -> None:
    out = enforce_schema(pd.DataFrame({"x": values}), Schema([ColSpec(dtype, "x")]))
    assert out["x"].dtype == target
    assert out["x"].tolist() == values.tolist()


@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        (np.array([1.5, 2.0]), "long"),
        (np.array([1.5]), "float"),
        (np.array([3, 2**60], dtype=np.int64), "double"),
        (np.array(["a"], dtype=object), "double"),
        (np.array([1, 2]), "string"),
        (np.array([True]), "long"),
    ],
)
def test_unsafe_conversions_raise_naming_the_column(values, dtype: str) -> None:
    with pytest.raises(InvalidArgument, match=r"column 'x'.*Can not safely convert"):
        enforce_schema(pd.DataFrame({"x": values}), Schema([ColSpec(dtype, "x")]))


def test_missing_values_in_integer_columns_get_a_hint() -> None:
    with pytest.raises(InvalidArgument, match="missing values"):
        enforce_schema(pd.DataFrame({"x": [1.0, None]}), Schema([ColSpec("long", "x")]))


def test_tensor_signatures() -> None:
    schema = Schema([TensorSpec(np.float64, (-1, 3))])
    assert enforce_schema(np.ones((2, 3), dtype=np.float32), schema).dtype == np.float64
    assert enforce_schema(pd.DataFrame(np.ones((2, 3))), schema).shape == (2, 3)
    with pytest.raises(InvalidArgument, match="Shape"):
        enforce_schema(np.ones((2, 4)), schema)
    with pytest.raises(InvalidArgument, match="dtype"):
        enforce_schema(np.ones((2, 3), dtype=np.complex128), schema)


def test_enforced_at_predict_time(tmp_path: Path) -> None:
    def total(df):
        return (df["a"] + df["b"]).to_numpy()

    example = pd.DataFrame({"a": [1.0], "b": [2]})
    save_model(total, tmp_path / "m", input_example=example)
    m = pyfunc.load_model(tmp_path / "m")
    assert m.metadata.get_input_schema() == Schema([ColSpec("double", "a"), ColSpec("long", "b")])
    assert m.metadata.get_output_schema().inputs[0].type == np.float64
    got = m.predict(pd.DataFrame({"b": np.array([1], dtype=np.int32), "a": [0.5], "junk": ["?"]}))
    assert got.tolist() == [1.5]
    assert m.predict({"a": 1.0, "b": 3}).tolist() == [4.0]  # one record as a dict
    with pytest.raises(InvalidArgument, match=r"missing inputs \['b'\]"):
        m.predict(pd.DataFrame({"a": [1.0]}))
    with pytest.raises(InvalidArgument, match="column 'b'"):
        m.predict(pd.DataFrame({"a": [1.0], "b": [2.5]}))
