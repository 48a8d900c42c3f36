"""The pickle and scikit-learn flavours: round trips, format, requirements, integrity, URIs."""

from __future__ import annotations

import hashlib
import os
import textwrap
import warnings
from pathlib import Path

import pytest
from conftest import run_python

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
pytest.importorskip("sklearn")
yaml = pytest.importorskip("yaml")

import litetrack  # noqa: E402
import litetrack.sklearn as lsk  # noqa: E402
from litetrack import pyfunc  # noqa: E402
from litetrack.errors import (  # noqa: E402
    AlreadyExists,
    ChecksumMismatch,
    ModelNotFound,
    UnsupportedURI,
)
from litetrack.models import pickled  # noqa: E402
from litetrack.models.base import ModelVersionWarning  # noqa: E402
from litetrack.models.envfiles import read_requirements  # noqa: E402
from litetrack.models.model import Model  # noqa: E402
from litetrack.models.requirements import pinned  # noqa: E402
from litetrack.models.uri import model_folder  # noqa: E402


def digest(arr: object) -> str:
    a = np.ascontiguousarray(arr.toarray() if hasattr(arr, "toarray") else arr)
    return hashlib.sha256(a.tobytes() + str(a.dtype).encode() + str(a.shape).encode()).hexdigest()


DIGEST_CODE = (
    "import hashlib, numpy as np\n"
    "def digest(arr):\n"
    "    a = np.ascontiguousarray(arr.toarray() if hasattr(arr, 'toarray') else arr)\n"
    "    meta = str(a.dtype).encode() + str(a.shape).encode()\n"
    "    return hashlib.sha256(a.tobytes() + meta).hexdigest()\n"
)


@pytest.fixture
def records() -> list[dict]:
    rng = np.random.default_rng(0)
    return [
        {
            "PU_DO": f"{rng.integers(1, 30)}_{rng.integers(1, 30)}",
            "trip_distance": float(rng.random() * 10),
        }
        for _ in range(300)
    ]


def test_dictvectorizer_round_trip_in_a_fresh_process(records: list[dict]) -> None:
    from sklearn.feature_extraction import DictVectorizer

    dv = DictVectorizer().fit(records)
    with litetrack.start_run():
        info = lsk.log_model(dv, name="dv")
    assert info.model_uri.startswith("runs:/") and info.model_uri.endswith("/dv")
    expected = digest(dv.transform(records))
    code = DIGEST_CODE + textwrap.dedent(
        f"""
        import json, sys, litetrack.sklearn, litetrack.pyfunc
        records = json.loads(sys.argv[1])
        dv = litetrack.sklearn.load_model({info.model_uri!r})
        print(digest(dv.transform(records)))
        print(digest(litetrack.pyfunc.load_model({info.model_uri!r}).predict(records)))
        """
    )
    import json

    out = run_python(code, json.dumps(records)).stdout.split()
    assert out == [expected, expected]


def test_pipeline_predicts_on_dataframe_bit_for_bit(tmp_path: Path) -> None:
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(200, 4)), columns=list("abcd"))
    y = X.to_numpy() @ np.array([1.0, -2.0, 0.5, 3.0])
    model = make_pipeline(StandardScaler(), Ridge()).fit(X, y)
    lsk.save_model(model, tmp_path / "m", input_example=X.head(3))
    X.to_csv(tmp_path / "x.csv", index=False)
    code = DIGEST_CODE + textwrap.dedent(
        f"""
        import pandas as pd, litetrack.pyfunc
        X = pd.read_csv({str(tmp_path / "x.csv")!r})
        print(digest(litetrack.pyfunc.load_model({str(tmp_path / "m")!r}).predict(X)))
        """
    )
    X_back = pd.read_csv(tmp_path / "x.csv")
    assert run_python(code).stdout.strip() == digest(model.predict(X_back))


def test_functions_and_classes_from_main_round_trip(tmp_path: Path) -> None:
    # Defined in a script's __main__: cloudpickle saves them by value.
    script = textwrap.dedent(
        f"""
        import math, litetrack
        from litetrack.models import pickled
        class Scaler:
            def __init__(self, k):
                self.k = k
            def predict(self, xs):
                return [math.sqrt(x) * self.k for x in xs]
        def double(xs):
            return [2 * x for x in xs]
        pickled.save_model(Scaler(3), {str(tmp_path / "cls")!r})
        pickled.save_model(double, {str(tmp_path / "fn")!r})
        """
    )
    run_python(script)
    scaler = pickled.load_model(tmp_path / "cls")
    assert scaler.predict([4.0, 9.0]) == [6.0, 9.0]
    assert type(scaler).__name__ == "Scaler"
    assert pyfunc.load_model(tmp_path / "fn").predict([1, 2]) == [2, 4]
    # Only the standard library is referenced: nothing beyond litetrack and cloudpickle.
    for name in ("cls", "fn"):
        reqs = read_requirements(tmp_path / name / "requirements.txt")
        assert [r.split("==")[0] for r in reqs] == ["litetrack", "cloudpickle"]


def test_requirements_of_an_object_from_a_third_party_package(tmp_path: Path) -> None:
    from sklearn.preprocessing import StandardScaler

    pickled.save_model(StandardScaler().fit([[1.0], [2.0]]), tmp_path / "m")
    reqs = read_requirements(tmp_path / "m" / "requirements.txt")
    assert reqs[0].startswith("litetrack")
    assert pinned("scikit-learn") in reqs
    assert pinned("numpy") in reqs
    assert pinned("cloudpickle") in reqs


def test_requirements_found_in_pickled_code(tmp_path: Path) -> None:
    # A function from __main__ using sklearn only inside its body, by an import statement.
    script = textwrap.dedent(
        f"""
        from litetrack.models import pickled
        def predict(xs):
            import sklearn.utils
            return xs
        pickled.save_model(predict, {str(tmp_path / "m")!r})
        """
    )
    run_python(script)
    assert pinned("scikit-learn") in read_requirements(tmp_path / "m" / "requirements.txt")


def test_pip_requirements_replace_and_extra_add(tmp_path: Path) -> None:
    from sklearn.preprocessing import StandardScaler

    est = StandardScaler().fit([[1.0], [2.0]])
    lsk.save_model(est, tmp_path / "a", pip_requirements=["scikit-learn", "numpy<3"])
    assert read_requirements(tmp_path / "a" / "requirements.txt")[1:] == ["scikit-learn", "numpy<3"]
    lsk.save_model(est, tmp_path / "b", extra_pip_requirements=["pyarrow>=1", "numpy>=1"])
    reqs = read_requirements(tmp_path / "b" / "requirements.txt")
    assert "pyarrow>=1" in reqs and "numpy>=1" in reqs
    assert pinned("numpy") not in reqs and pinned("scikit-learn") in reqs


def test_mlmodel_is_in_mlflow_shape(tmp_path: Path) -> None:
    from sklearn.linear_model import LinearRegression

    X = pd.DataFrame({"x": [1.0, 2.0, 3.0], "n": [1, 2, 3]})
    est = LinearRegression().fit(X, [1.0, 2.0, 3.0])
    lsk.save_model(est, tmp_path / "m", input_example=X.head(2))
    doc = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    pyf = doc["flavors"]["python_function"]
    assert pyf["loader_module"] == "litetrack.sklearn"
    assert pyf["env"] == {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
    assert pyf["model_path"] == "model.pkl" and pyf["predict_fn"] == "predict"
    sk = doc["flavors"]["sklearn"]
    assert sk["pickled_model"] == "model.pkl" and sk["serialization_format"] == "cloudpickle"
    assert sk["sklearn_version"]
    assert doc["signature"]["inputs"] == (
        '[{"type": "double", "name": "x", "required": true}, '
        '{"type": "long", "name": "n", "required": true}]'
    )
    assert (
        doc["signature"]["outputs"]
        == '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'
    )
    assert doc["saved_input_example_info"]["type"] == "dataframe"
    files = doc["litetrack"]["files"]
    assert set(files) == {
        "model.pkl",
        "conda.yaml",
        "python_env.yaml",
        "requirements.txt",
        "input_example.json",
        "serving_input_example.json",
    }
    for rel, entry in files.items():
        data = (tmp_path / "m" / rel).read_bytes()
        assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    assert doc["model_size_bytes"] == sum(e["size"] for e in files.values())
    assert len(doc["model_uuid"]) == 32 and doc["utc_time_created"]
    conda = yaml.safe_load((tmp_path / "m" / "conda.yaml").read_text())
    assert conda["dependencies"][-1]["pip"][0].startswith("litetrack")
    assert yaml.safe_load((tmp_path / "m" / "python_env.yaml").read_text())["dependencies"] == [
        "-r requirements.txt"
    ]
    assert Model.load(tmp_path / "m").load_input_example().equals(X.head(2))


def test_log_model_records_run_and_path_and_history() -> None:
    from sklearn.preprocessing import StandardScaler

    with litetrack.start_run() as run:
        info = lsk.log_model(StandardScaler().fit([[1.0]]), "scaler")
    assert info.run_id == run.info.run_id and info.artifact_path == "scaler"
    meta = pyfunc.load_model(info.model_uri).metadata
    assert meta.run_id == run.info.run_id and meta.artifact_path == "scaler"
    assert meta.model_uuid == info.model_uuid
    import json

    history = json.loads(litetrack.get_run(run.info.run_id).data.tags["mlflow.log-model.history"])
    assert history[-1]["artifact_path"] == "scaler" and "sklearn" in history[-1]["flavors"]


def test_model_load_accepts_model_uris_as_in_mlflow() -> None:
    # mlflow.models.Model.load(model_info.model_uri): runs:/ and models:/ URIs, not only folders.
    from sklearn.preprocessing import StandardScaler

    X = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    with litetrack.start_run():
        info = lsk.log_model(StandardScaler().fit(X), name="scaler", input_example=X.head(2))
    litetrack.register_model(info.model_uri, "scaler")
    for uri in (info.model_uri, "models:/scaler/1"):
        model = Model.load(uri)
        assert sorted(model.flavors) == ["python_function", "sklearn"]
        assert model.load_input_example().equals(X.head(2))
        assert model.load_input_example(litetrack.artifacts.download_artifacts(uri)).equals(X.head(2))
    with pytest.raises(LookupError, match="nothing-here"):  # ArtifactNotFound, a NotFound
        Model.load(f"runs:/{info.run_id}/nothing-here")


def test_log_model_starts_a_run_when_none_is_active() -> None:
    from sklearn.preprocessing import StandardScaler

    assert litetrack.active_run() is None
    info = lsk.log_model(StandardScaler().fit([[1.0]]))
    assert litetrack.active_run() is not None and litetrack.active_run().info.run_id == info.run_id
    assert info.artifact_path == "model"


def test_tampered_cached_pickle_is_refused() -> None:
    from sklearn.preprocessing import StandardScaler

    info = lsk.log_model(StandardScaler().fit([[1.0], [3.0]]), "m")
    folder = model_folder(info.model_uri)
    assert model_folder(info.model_uri) == folder  # cached: a warm load copies nothing
    target = folder / "model.pkl"
    os.chmod(target, 0o644)
    target.write_bytes(target.read_bytes() + b"\x00")
    with pytest.raises(ChecksumMismatch, match="model.pkl") as err:
        lsk.load_model(info.model_uri)
    assert err.value.path == str(target)
    with pytest.raises(ChecksumMismatch, match="model.pkl"):
        pyfunc.load_model(info.model_uri)


def test_tampered_cached_descriptor_is_refused() -> None:
    from sklearn.preprocessing import StandardScaler

    info = lsk.log_model(StandardScaler().fit([[1.0], [3.0]]), "m")
    mlmodel = model_folder(info.model_uri) / "MLmodel"
    os.chmod(mlmodel, 0o644)
    mlmodel.write_text(mlmodel.read_text().replace("model.pkl", "evil.pkl"))
    with pytest.raises(ChecksumMismatch, match="MLmodel"):
        lsk.load_model(info.model_uri)


def test_tampered_pickle_in_a_saved_folder_is_refused(tmp_path: Path) -> None:
    import pickle

    pickled.save_model({"weights": [1, 2]}, tmp_path / "m")
    (tmp_path / "m" / "model.pkl").write_bytes(pickle.dumps({"weights": [6, 6, 6]}))
    with pytest.raises(ChecksumMismatch, match=r"model\.pkl.*SHA-256"):
        pickled.load_model(tmp_path / "m")


def test_uri_forms(tmp_path: Path) -> None:
    from sklearn.preprocessing import StandardScaler

    lsk.save_model(StandardScaler().fit([[1.0], [3.0]]), tmp_path / "m")
    for uri in (
        tmp_path / "m",
        str(tmp_path / "m"),
        f"file://{tmp_path / 'm'}",
        str(tmp_path / "m" / "MLmodel"),
    ):
        assert lsk.load_model(uri).mean_ == [2.0]
    with pytest.raises(ModelNotFound):
        lsk.load_model(tmp_path / "nothing")
    with pytest.raises(UnsupportedURI):
        lsk.load_model("s3://bucket/model")
    with litetrack.start_run():
        litetrack.log_text("x", "notes/readme.txt")
        run_id = litetrack.active_run().info.run_id
    with pytest.raises(ModelNotFound, match="MLmodel"):
        lsk.load_model(f"runs:/{run_id}/notes")


def test_save_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "keep.txt").write_text("mine")
    with pytest.raises(AlreadyExists):
        pickled.save_model(len, tmp_path / "m")
    assert (tmp_path / "m" / "keep.txt").read_text() == "mine"


def test_other_versions_warn_once_naming_both(tmp_path: Path) -> None:
    pickled.save_model({"a": 1}, tmp_path / "m")
    model = Model.load(tmp_path / "m")
    model.litetrack["library_versions"].update(python="3.9.1", cloudpickle="0.0.1")
    model.save(tmp_path / "m")
    with pytest.warns(ModelVersionWarning) as record:
        pickled.load_model(tmp_path / "m")
    messages = [str(w.message) for w in record]
    assert any("Python 3.9.1" in m and litetrack_python() in m for m in messages)
    assert any("cloudpickle 0.0.1" in m for m in messages)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pickled.load_model(tmp_path / "m")  # once per model and version pair


def litetrack_python() -> str:
    import platform

    return platform.python_version()


def test_reads_a_model_mlflow_wrote(tmp_path: Path) -> None:
    import pickle

    from sklearn.linear_model import LinearRegression

    est = LinearRegression().fit([[1.0], [2.0]], [2.0, 4.0])
    folder = tmp_path / "mlflow_model"
    folder.mkdir()
    (folder / "model.pkl").write_bytes(pickle.dumps(est))
    # MLflow 2.x's writer: pyyaml, keys sorted, long strings folded at 80 columns.
    doc = {
        "artifact_path": "model",
        "flavors": {
            "python_function": {
                "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
                "loader_module": "mlflow.sklearn",
                "model_path": "model.pkl",
                "predict_fn": "predict",
                "python_version": litetrack_python(),
            },
            "sklearn": {
                "code": None,
                "pickled_model": "model.pkl",
                "serialization_format": "cloudpickle",
                "sklearn_version": "1.3.2",
            },
        },
        "mlflow_version": "2.9.2",
        "model_uuid": "0" * 32,
        "run_id": "abc",
        "signature": {
            "inputs": '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 1]}}]',
            "outputs": '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]',
            "params": None,
        },
        "utc_time_created": "2024-01-02 03:04:05.678901",
    }
    (folder / "MLmodel").write_text(yaml.safe_dump(doc, default_flow_style=False))
    with pytest.warns(ModelVersionWarning, match="no recorded digest"):
        loaded = lsk.load_model(folder)
    assert loaded.coef_ == pytest.approx([2.0])
    model = pyfunc.load_model(folder)
    assert model.metadata.extra["mlflow_version"] == "2.9.2"
    assert model.predict(np.array([[3.0]])) == pytest.approx([6.0])


def test_a_failed_save_leaves_no_folder(tmp_path: Path) -> None:
    import threading

    with pytest.raises(TypeError):
        pickled.save_model(threading.Lock(), tmp_path / "m")
    assert not (tmp_path / "m").exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(TypeError):
        pickled.save_model(threading.Lock(), tmp_path / "empty")
    assert list((tmp_path / "empty").iterdir()) == []
