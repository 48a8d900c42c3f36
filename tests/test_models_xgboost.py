"""The xgboost flavour: native format (never pickled), round trips, wrappers, pyfunc inputs."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest
from conftest import run_python

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
xgb = pytest.importorskip("xgboost")
yaml = pytest.importorskip("yaml")

import litetrack  # noqa: E402
import litetrack.xgboost as lxgb  # noqa: E402
from litetrack import pyfunc  # noqa: E402
from litetrack.errors import InvalidArgument  # noqa: E402
from litetrack.models.base import ModelVersionWarning  # noqa: E402
from litetrack.models.envfiles import read_requirements  # noqa: E402
from litetrack.models.model import Model  # noqa: E402
from litetrack.models.requirements import pinned  # noqa: E402


def digest(arr: object) -> str:
    a = np.ascontiguousarray(arr)
    return hashlib.sha256(a.tobytes() + str(a.dtype).encode() + str(a.shape).encode()).hexdigest()


DIGEST_CODE = (
    "import hashlib, numpy as np\n"
    "def digest(arr):\n"
    "    a = np.ascontiguousarray(arr)\n"
    "    meta = str(a.dtype).encode() + str(a.shape).encode()\n"
    "    return hashlib.sha256(a.tobytes() + meta).hexdigest()\n"
)


@pytest.fixture(scope="module")
def data() -> tuple[object, object]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 6))
    y = X @ rng.normal(size=6) + rng.normal(size=500)
    return X, y


@pytest.fixture(scope="module")
def booster(data: tuple[object, object]) -> object:
    X, y = data
    return xgb.train({"max_depth": 3, "nthread": 1}, xgb.DMatrix(X, label=y), 20)


def test_booster_round_trip_in_a_fresh_process(tmp_path: Path, data, booster) -> None:
    X, _ = data
    np.save(tmp_path / "X.npy", X)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    with litetrack.start_run():
        info = lxgb.log_model(booster, name="model", input_example=df.head(3))
    expected = digest(booster.predict(xgb.DMatrix(X)))
    code = DIGEST_CODE + textwrap.dedent(
        f"""
        import pandas as pd, xgboost as xgb, litetrack.xgboost, litetrack.pyfunc
        X = np.load({str(tmp_path / "X.npy")!r})
        b = litetrack.xgboost.load_model({info.model_uri!r})
        print(type(b).__name__, digest(b.predict(xgb.DMatrix(X))))
        m = litetrack.pyfunc.load_model({info.model_uri!r})
        print(digest(m.predict(pd.DataFrame(X, columns=[f"f{{i}}" for i in range(X.shape[1])]))))
        print(digest(m.predict(X)))
        """
    )
    out = run_python(code).stdout.split()
    assert out == ["Booster", expected, expected, expected]


def test_native_format_never_pickled(tmp_path: Path, booster) -> None:
    lxgb.save_model(booster, tmp_path / "ubj")
    lxgb.save_model(booster, tmp_path / "json", model_format="json")
    assert sorted(p.name for p in (tmp_path / "ubj").iterdir()) == [
        "MLmodel",
        "conda.yaml",
        "model.ubj",
        "python_env.yaml",
        "requirements.txt",
    ]
    assert (tmp_path / "json" / "model.json").read_text().startswith("{")
    for name, fmt in (("ubj", "ubj"), ("json", "json")):
        doc = yaml.safe_load((tmp_path / name / "MLmodel").read_text())
        assert doc["flavors"]["xgboost"] == {
            "code": None,
            "data": f"model.{fmt}",
            "model_class": "xgboost.core.Booster",
            "model_format": fmt,
            "xgb_version": xgb.__version__,
        }
        assert doc["flavors"]["python_function"]["loader_module"] == "litetrack.xgboost"
        assert doc["flavors"]["python_function"]["data"] == f"model.{fmt}"
        reqs = read_requirements(tmp_path / name / "requirements.txt")
        assert pinned("xgboost") in reqs and pinned("numpy") in reqs
        assert not any(r.startswith("scikit-learn") for r in reqs)
        assert lxgb.load_model(tmp_path / name).num_boosted_rounds() == 20
    with pytest.raises(InvalidArgument):
        lxgb.save_model(booster, tmp_path / "bad", model_format="pkl")
    with pytest.raises(InvalidArgument):
        lxgb.save_model(object(), tmp_path / "bad2")


@pytest.mark.parametrize("cls", ["XGBRegressor", "XGBClassifier"])
def test_sklearn_wrappers_round_trip(tmp_path: Path, data, cls: str) -> None:
    X, y = data
    target = y if cls == "XGBRegressor" else (y > 0).astype(int)
    model = getattr(xgb, cls)(n_estimators=10, max_depth=2, n_jobs=1).fit(X, target)
    lxgb.save_model(model, tmp_path / "m")
    np.save(tmp_path / "X.npy", X)
    code = DIGEST_CODE + textwrap.dedent(
        f"""
        import litetrack.xgboost
        m = litetrack.xgboost.load_model({str(tmp_path / "m")!r})
        X = np.load({str(tmp_path / "X.npy")!r})
        print(type(m).__name__, digest(m.predict(X)))
        """
    )
    assert run_python(code).stdout.split() == [cls, digest(model.predict(X))]
    doc = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    assert doc["flavors"]["xgboost"]["model_class"] == f"xgboost.sklearn.{cls}"
    assert pinned("scikit-learn") in read_requirements(tmp_path / "m" / "requirements.txt")
    if cls == "XGBClassifier":
        loaded = lxgb.load_model(tmp_path / "m")
        assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_pyfunc_inputs(tmp_path: Path, data) -> None:
    X, y = data
    names = [f"c{i}" for i in range(X.shape[1])]
    df = pd.DataFrame(X, columns=names)
    named = xgb.train({"max_depth": 2, "nthread": 1}, xgb.DMatrix(df, label=y), 5)
    lxgb.save_model(
        named, tmp_path / "m"
    )  # no signature: the booster's feature names order columns
    m = pyfunc.load_model(tmp_path / "m")
    expected = named.predict(xgb.DMatrix(df))
    assert np.array_equal(m.predict(df[names[::-1]]), expected)
    assert np.array_equal(m.predict(df.assign(extra=1.0)), expected)
    plain = xgb.train({"max_depth": 2, "nthread": 1}, xgb.DMatrix(X, label=y), 5)
    lxgb.save_model(plain, tmp_path / "p")
    p = pyfunc.load_model(tmp_path / "p")
    want = plain.predict(xgb.DMatrix(X))
    from scipy import sparse

    assert np.array_equal(p.predict(sparse.csr_matrix(X)), want)
    assert np.array_equal(p.predict(X.tolist()), want)
    assert isinstance(p.get_raw_model(), xgb.Booster)


def test_signature_from_sparse_input_example(tmp_path: Path, data) -> None:
    from scipy import sparse

    X, y = data
    Xs = sparse.csr_matrix(np.where(np.abs(X) > 1, X, 0.0))
    b = xgb.train({"max_depth": 2, "nthread": 1}, xgb.DMatrix(Xs, label=y), 5)
    lxgb.save_model(b, tmp_path / "m", input_example=Xs[:3])
    model = Model.load(tmp_path / "m")
    assert model.saved_input_example_info["type"] == "sparse_matrix_csr"
    assert model.signature.inputs.to_dict() == [
        {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, X.shape[1]]}}
    ]
    example = model.load_input_example()
    assert (example != Xs[:3]).nnz == 0
    assert np.array_equal(pyfunc.load_model(tmp_path / "m").predict(Xs), b.predict(xgb.DMatrix(Xs)))


def test_other_xgboost_version_warns(tmp_path: Path, booster) -> None:
    lxgb.save_model(booster, tmp_path / "m")
    model = Model.load(tmp_path / "m")
    model.litetrack["library_versions"]["xgboost"] = "1.7.0"
    model.save(tmp_path / "m")
    with pytest.warns(ModelVersionWarning, match=rf"xgboost 1\.7\.0.*xgboost {xgb.__version__}"):
        lxgb.load_model(tmp_path / "m")


def test_reads_an_xgboost_model_mlflow_wrote(tmp_path: Path, booster, data) -> None:
    X, _ = data
    folder = tmp_path / "mlflow_model"
    folder.mkdir()
    booster.save_model(str(folder / "model.xgb.json"))
    (folder / "model.xgb").write_bytes((folder / "model.xgb.json").read_bytes())
    (folder / "MLmodel").write_text(
        textwrap.dedent(
            """\
        artifact_path: model
        flavors:
          python_function:
            data: model.xgb
            env:
              conda: conda.yaml
              virtualenv: python_env.yaml
            loader_module: mlflow.xgboost
            python_version: 3.11.7
          xgboost:
            code: null
            data: model.xgb
            model_class: xgboost.core.Booster
            model_format: xgb
            xgb_version: 2.0.3
        mlflow_version: 2.10.0
        model_uuid: 5c1a5b6ef1b44c1e8d5b62a0a1b5c7d3
        run_id: 0123456789abcdef
        utc_time_created: '2024-02-01 10:00:00.000000'
        """
        )
    )
    with pytest.warns(ModelVersionWarning):
        m = pyfunc.load_model(folder)
    assert np.array_equal(m.predict(X), booster.predict(xgb.DMatrix(X)))
