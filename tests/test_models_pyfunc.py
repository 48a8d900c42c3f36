"""pyfunc: custom PythonModel pipelines (DictVectorizer + booster on raw records), any flavour."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
from conftest import run_python

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
xgb = pytest.importorskip("xgboost")
pytest.importorskip("sklearn")

from litetrack import pyfunc  # noqa: E402
from litetrack.errors import ChecksumMismatch, InvalidArgument, InvalidState  # noqa: E402
from litetrack.models.envfiles import read_requirements  # noqa: E402
from litetrack.models.requirements import pinned  # noqa: E402
from litetrack.models.uri import model_folder  # noqa: E402

DIGEST_CODE = (
    "import hashlib, numpy as np\n"
    "def digest(arr):\n"
    "    a = np.ascontiguousarray(arr)\n"
    "    meta = str(a.dtype).encode() + str(a.shape).encode()\n"
    "    return hashlib.sha256(a.tobytes() + meta).hexdigest()\n"
)

# A notebook-style training script: the pipeline class lives in __main__.
TRAIN = DIGEST_CODE + textwrap.dedent(
    """
    import json, pickle, sys
    import xgboost as xgb
    from sklearn.feature_extraction import DictVectorizer
    import litetrack, litetrack.pyfunc

    class Pipeline(litetrack.pyfunc.PythonModel):
        def load_context(self, context):
            with open(context.artifacts["dv"], "rb") as f:
                self.dv = pickle.load(f)
            self.booster = xgb.Booster()
            self.booster.load_model(context.artifacts["booster"])

        def predict(self, context, model_input, params=None):
            if hasattr(model_input, "to_dict"):
                model_input = model_input.to_dict(orient="records")
            return self.booster.predict(xgb.DMatrix(self.dv.transform(model_input)))

    out = sys.argv[1]
    rng = np.random.default_rng(0)
    records = [{"PU_DO": f"{rng.integers(1, 40)}_{rng.integers(1, 40)}",
                "trip_distance": float(rng.random() * 10)} for _ in range(400)]
    y = [r["trip_distance"] * 3 + rng.random() for r in records]
    dv = DictVectorizer()
    X = dv.fit_transform(records)
    booster = xgb.train({"max_depth": 4, "nthread": 1}, xgb.DMatrix(X, label=y), 15)
    with open(f"{out}/dv.pkl", "wb") as f:
        pickle.dump(dv, f)
    booster.save_model(f"{out}/booster.ubj")
    with litetrack.start_run():
        info = litetrack.pyfunc.log_model(
            name="pipeline", python_model=Pipeline(),
            artifacts={"dv": f"{out}/dv.pkl", "booster": f"{out}/booster.ubj"},
            input_example=records[:3],
        )
    with open(f"{out}/records.json", "w") as f:
        json.dump(records, f)
    print(json.dumps({"uri": info.model_uri,
                      "digest": digest(booster.predict(xgb.DMatrix(dv.transform(records))))}))
    """
)


@pytest.fixture
def pipeline(tmp_path: Path) -> dict:
    result = json.loads(run_python(TRAIN, str(tmp_path)).stdout.strip().splitlines()[-1])
    result["records"] = json.loads((tmp_path / "records.json").read_text())
    return result


def test_dictvectorizer_and_booster_as_one_model_on_raw_records(pipeline: dict) -> None:
    uri = pipeline["uri"]
    code = DIGEST_CODE + textwrap.dedent(
        f"""
        import json, sys, pandas as pd, litetrack.pyfunc
        records = json.loads(open(sys.argv[1]).read())
        model = litetrack.pyfunc.load_model({uri!r})
        print(digest(model.predict(records)))
        print(digest(model.predict(pd.DataFrame(records))))
        """
    )
    folder = model_folder(uri)
    path = folder.parent / "records-for-test.json"
    path.write_text(json.dumps(pipeline["records"]))
    try:
        out = run_python(code, str(path)).stdout.split()
    finally:
        path.unlink()
    assert out == [pipeline["digest"], pipeline["digest"]]

    model = pyfunc.load_model(uri)
    sig = model.metadata.signature
    assert sig.inputs.to_dict() == [
        {"type": "string", "name": "PU_DO", "required": True},
        {"type": "double", "name": "trip_distance", "required": True},
    ]
    assert sig.outputs.to_dict() == [
        {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}
    ]
    assert type(model.unwrap_python_model()).__name__ == "Pipeline"
    with pytest.raises(InvalidArgument, match=r"missing inputs \['trip_distance'\]"):
        model.predict([{"PU_DO": "1_2"}])
    # Extra keys are ignored.
    one = model.predict([{"PU_DO": "1_2", "trip_distance": 3.0, "vendor": 2}])
    assert one.shape == (1,)


def test_pipeline_requirements_come_from_code_and_pickled_artifacts(pipeline: dict) -> None:
    reqs = read_requirements(model_folder(pipeline["uri"]) / "requirements.txt")
    for dist in ("xgboost", "scikit-learn", "numpy", "cloudpickle"):
        assert pinned(dist) in reqs
    assert reqs[0].startswith("litetrack")


def test_tampered_artifact_is_refused(pipeline: dict) -> None:
    folder = model_folder(pipeline["uri"])
    dv = folder / "artifacts" / "dv.pkl"
    os.chmod(dv, 0o644)
    dv.write_bytes(dv.read_bytes() + b"\x00")
    with pytest.raises(ChecksumMismatch, match="dv.pkl"):
        pyfunc.load_model(pipeline["uri"])


class AddN(pyfunc.PythonModel):
    def load_context(self, context: pyfunc.PythonModelContext) -> None:
        self.n = context.model_config["n"]
        with open(context.artifacts["offset"]) as f:
            self.offset = float(f.read())

    def predict(self, model_input, params=None):  # MLflow 3 style: no context
        scale = (params or {}).get("scale", 1)
        return (model_input["x"] + self.n + self.offset) * scale


def test_python_model_without_context_with_config_and_params(tmp_path: Path) -> None:
    import cloudpickle

    cloudpickle.register_pickle_by_value(__import__(__name__))
    try:
        (tmp_path / "offset.txt").write_text("0.5")
        from litetrack.models.signature import (
            ColSpec,
            ModelSignature,
            ParamSchema,
            ParamSpec,
            Schema,
        )

        sig = ModelSignature(
            Schema([ColSpec("double", "x")]), None, ParamSchema([ParamSpec("scale", "long", 1)])
        )
        pyfunc.save_model(
            tmp_path / "m",
            python_model=AddN(),
            artifacts={"offset": tmp_path / "offset.txt"},
            model_config={"n": 2},
            signature=sig,
        )
    finally:
        cloudpickle.unregister_pickle_by_value(__import__(__name__))
    m = pyfunc.load_model(tmp_path / "m")
    df = pd.DataFrame({"x": [1.0, 2.0]})
    assert list(m.predict(df)) == [3.5, 4.5]
    assert list(m.predict(df, params={"scale": 2})) == [7.0, 9.0]
    assert list(pyfunc.load_model(tmp_path / "m", model_config={"n": 10}).predict(df)) == [
        11.5,
        12.5,
    ]
    assert m.model_config == {"n": 2}
    assert (
        m.metadata.flavors["python_function"]["artifacts"]["offset"]["path"]
        == "artifacts/offset.txt"
    )


def test_function_as_python_model(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import litetrack.pyfunc
        def shout(rows):
            return [r.upper() for r in rows]
        litetrack.pyfunc.save_model({str(tmp_path / "m")!r}, python_model=shout)
        """
    )
    run_python(script)
    m = pyfunc.load_model(tmp_path / "m")
    assert m.predict(["a", "b"]) == ["A", "B"]
    assert m.unwrap_python_model().func(["x"]) == ["X"]


def test_loader_module_and_code_paths(tmp_path: Path) -> None:
    code = tmp_path / "src"
    code.mkdir()
    (code / "my_loader.py").write_text(
        "class M:\n"
        "    def __init__(self, path):\n"
        "        self.k = float(open(path).read())\n"
        "    def predict(self, data, params=None):\n"
        "        return [v * self.k for v in data]\n"
        "def _load_pyfunc(path):\n"
        "    return M(path)\n"
    )
    (tmp_path / "k.txt").write_text("4")
    pyfunc.save_model(
        tmp_path / "m",
        loader_module="my_loader",
        data_path=tmp_path / "k.txt",
        code_paths=[code / "my_loader.py"],
    )
    assert (tmp_path / "m" / "code" / "my_loader.py").is_file()
    assert pyfunc.load_model(tmp_path / "m").predict([1, 2]) == [4.0, 8.0]


def test_any_flavour_loads_through_pyfunc_and_registry(tmp_path: Path) -> None:
    from sklearn.linear_model import LinearRegression

    import litetrack.sklearn

    est = LinearRegression().fit([[0.0], [1.0]], [1.0, 3.0])
    with litetrack.start_run():
        info = litetrack.sklearn.log_model(est, name="lr", registered_model_name="taxi-lr")
    assert info.registered_model_version == 1
    m = pyfunc.load_model("models:/taxi-lr/1")
    assert m.predict(np.array([[2.0]])) == pytest.approx([5.0])
    assert isinstance(m.get_raw_model(), LinearRegression)
    assert "litetrack.sklearn" in repr(m)
    with pytest.raises(InvalidState, match="get_raw_model"):
        m.unwrap_python_model()
