"""Datasets a run used: digests, schemas, run.inputs, recorded once per run."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import litetrack
from litetrack import Client, data
from litetrack.entities import DatasetInput
from litetrack.errors import InvalidArgument


def frame(n: int = 50) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "trip_distance": np.linspace(0.5, 20.0, n),
            "passengers": np.arange(n) % 4,
            "zone": [f"z{i % 7}" for i in range(n)],
            "duration": np.linspace(3.0, 60.0, n),
        }
    )


def test_pandas_digest_stable_for_equal_data() -> None:
    df = frame()
    a = data.from_pandas(df)
    assert a.digest == data.from_pandas(df).digest == data.from_pandas(df.copy()).digest
    rebuilt = pd.DataFrame({c: list(df[c]) for c in df.columns})
    assert data.from_pandas(rebuilt).digest == a.digest
    assert len(a.digest) == 64


@pytest.mark.parametrize(
    "change",
    [
        lambda df: df.assign(duration=df["duration"].where(df.index != 10, 999.0)),  # one value
        lambda df: df.rename(columns={"zone": "area"}),  # a name
        lambda df: df.astype({"passengers": "float64"}),  # a dtype
        lambda df: df.iloc[::-1],  # row order
        lambda df: df.iloc[:-1],  # one row fewer
        lambda df: df.set_axis(range(100, 150)),  # the index
        lambda df: df[["zone", "trip_distance", "passengers", "duration"]],  # column order
    ],
)
def test_pandas_digest_sensitive(change) -> None:
    df = frame()
    assert data.from_pandas(change(df)).digest != data.from_pandas(df).digest


def test_large_frame_digest_hashes_a_bounded_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data, "MAX_DIGEST_CELLS", 4_000)
    monkeypatch.setattr(data, "MIN_DIGEST_ROWS", 100)
    hashed_lengths = []
    real = pd.util.hash_pandas_object

    def spy(obj, *args, **kwargs):
        hashed_lengths.append(len(obj))
        return real(obj, *args, **kwargs)

    monkeypatch.setattr(pd.util, "hash_pandas_object", spy)
    df = pd.DataFrame({"x": np.arange(100_000, dtype=np.int64), "y": np.arange(100_000) * 0.5})
    ds = data.from_pandas(df)
    assert hashed_lengths and max(hashed_lengths) == 2_000  # 4000 cells / 2 columns
    assert ds.profile == {"num_rows": 100_000, "num_elements": 200_000, "digest_rows": 2_000}
    # The sample spans the whole frame: the first and the last row count.
    last = df.copy()
    last.iloc[-1, 0] = -1
    first = df.copy()
    first.iloc[0, 1] = -1.0
    assert data.from_pandas(last).digest != ds.digest
    assert data.from_pandas(first).digest != ds.digest
    # ... and it is deterministic.
    assert data.from_pandas(df.copy()).digest == ds.digest
    # A wide frame hashes fewer rows, never fewer than MIN_DIGEST_ROWS.
    hashed_lengths.clear()
    wide = pd.DataFrame(np.zeros((1_000, 100)))
    assert data.from_pandas(wide).profile["digest_rows"] == 100
    assert max(hashed_lengths) == 100


def test_unhashable_cells() -> None:
    df = pd.DataFrame({"tokens": [["a", "b"], ["c"], []], "meta": [{"k": 1}, {}, {"k": 2}]})
    a = data.from_pandas(df)
    assert a.digest == data.from_pandas(df.copy()).digest
    other = df.copy()
    other.at[1, "tokens"] = ["d"]
    assert data.from_pandas(other).digest != a.digest


def test_schema_profile_source_and_targets() -> None:
    ds = data.from_pandas(
        frame(), source="s3://KEY:SECRET@bucket/trips.parquet", name="trips", targets="duration"
    )
    assert ds.name == "trips" and ds.targets == "duration"
    assert ds.source_type == "s3" and ds.source == {"uri": "s3://bucket/trips.parquet"}
    types = {c["name"]: c["type"] for c in ds.schema["mlflow_colspec"]}
    assert types == {
        "trip_distance": "double",
        "passengers": "long",
        "zone": "string",
        "duration": "double",
    }
    assert ds.profile["num_rows"] == 50
    assert data.from_pandas(frame()).source_type == "code"
    assert data.from_pandas(frame()).name == "dataset"
    local = data.from_pandas(frame(), source="data/trips.csv")
    assert local.source_type == "local" and Path(local.source["uri"]).is_absolute()
    with pytest.raises(InvalidArgument, match="Target column"):
        data.from_pandas(frame(), targets="nope")
    with pytest.raises(InvalidArgument, match="DataFrame"):
        data.from_pandas([[1, 2]])


def test_from_file_digest_is_the_blob_digest(tmp_path: Path) -> None:
    f = tmp_path / "trips.csv"
    f.write_text(frame().to_csv(index=False))
    ds = data.from_file(f)
    assert ds.digest == hashlib.sha256(f.read_bytes()).hexdigest()
    assert ds.name == "trips.csv" and ds.profile == {"size": f.stat().st_size}
    assert ds.source == {"uri": str(f)} and ds.source_type == "local"
    with litetrack.start_run():
        litetrack.log_artifact(str(f))
        entry = Client().store.runs.read(litetrack.active_run().info.run_id)["artifacts"][
            "trips.csv"
        ]
    assert entry["digest"] == ds.digest
    with pytest.raises(InvalidArgument, match="folder"):
        data.from_file(tmp_path)
    with pytest.raises(InvalidArgument, match="no such file"):
        data.from_file(tmp_path / "missing.csv")


def test_from_numpy() -> None:
    x = np.arange(30, dtype=np.float64).reshape(10, 3)
    y = np.arange(10)
    a = data.from_numpy(x, targets=y)
    assert a.digest == data.from_numpy(x.copy(), targets=y.copy()).digest
    assert a.digest != data.from_numpy(x, targets=y + 1).digest
    assert a.digest != data.from_numpy(x.astype(np.float32), targets=y).digest
    assert a.schema["features"] == {"dtype": "float64", "shape": [-1, 3]}
    objs = np.array([["a", 1], ["b", 2]], dtype=object)
    assert data.from_numpy(objs).digest == data.from_numpy(objs.copy()).digest


def test_run_inputs_list_datasets(tmp_path: Path) -> None:
    f = tmp_path / "val.csv"
    f.write_text("a,b\n1,2\n")
    train = data.from_pandas(frame(), name="train", targets="duration")
    val = data.from_file(f)
    with litetrack.start_run() as run:
        litetrack.log_input(train, context="training")
        litetrack.log_input(val, context="validation", tags={"split": "2024-01"})
    inputs = litetrack.get_run(run.info.run_id).inputs.dataset_inputs
    assert [(i.dataset["name"], i.context) for i in inputs] == [
        ("train", "training"),
        ("val.csv", "validation"),
    ]
    assert inputs[0].dataset["digest"] == train.digest
    assert inputs[0].dataset["schema"] == train.schema
    assert inputs[0].dataset["profile"]["num_rows"] == 50
    assert inputs[1].tags == {"split": "2024-01", "mlflow.data.context": "validation"}
    # survives the final fold and comes back from search (index) too
    found = Client().search_runs(["0"])
    assert [i.dataset["name"] for i in found[0].inputs.dataset_inputs] == ["train", "val.csv"]


def test_run_inputs_read_as_mlflow_dataset_entities(tmp_path: Path) -> None:
    # The mlflow.data docs example: dataset_info.name / .digest / .schema (a JSON string),
    # mlflow.data.get_source(dataset_info).load(), and the mlflow.data.pandas_dataset path.
    import json

    from litetrack.data.pandas_dataset import PandasDataset

    f = tmp_path / "trips.csv"
    frame(5).to_csv(f, index=False)
    dataset = data.from_pandas(frame(5), source=str(f), name="trips")
    assert isinstance(dataset, PandasDataset)
    with litetrack.start_run() as run:
        litetrack.log_input(dataset, context="training")
    info = litetrack.get_run(run.info.run_id).inputs.dataset_inputs[0].dataset
    assert (info.name, info.digest, info.source_type) == ("trips", dataset.digest, "local")
    assert json.loads(info.schema) == info["schema"] == dataset.schema
    assert json.loads(info.profile)["num_rows"] == 5
    assert json.loads(info.source) == {"uri": str(f)}
    assert info == dataset.to_dict()  # still the recorded dict
    source = data.get_source(info)
    assert (source.source_type, source.uri, source.load()) == ("local", str(f), str(f))
    copied = source.load(dst_path=str(tmp_path / "copy"))
    assert Path(copied).read_text() == f.read_text()
    assert data.get_source(dataset).uri == str(f)
    with pytest.raises(InvalidArgument, match="local sources only"):
        data.get_source(data.from_pandas(frame(5), source="s3://bucket/trips.csv")).load()
    with pytest.raises(InvalidArgument, match="get_source needs a dataset"):
        data.get_source(42)


def test_same_dataset_recorded_once_per_run(store_path: Path) -> None:
    ds = data.from_pandas(frame(), name="train")
    runs = []
    for _ in range(2):
        with litetrack.start_run() as run:
            for _epoch in range(5):
                litetrack.log_input(ds, context="training")
            litetrack.log_input(data.from_pandas(frame(), name="train"), context="training")
            litetrack.log_input(ds, context="evaluation")  # another context: another entry
            runs.append(run.info.run_id)
    for rid in runs:
        inputs = litetrack.get_run(rid).inputs.dataset_inputs
        assert [i.context for i in inputs] == ["training", "evaluation"]
        log = (store_path / "runs" / rid / "log.jsonl").read_text()
        assert log.count('"input"') == 2  # repeats are not even appended
    # No data copied: the store holds no blob for the frame.
    assert all(
        p.stat().st_size < 50_000 for p in (store_path / "objects").rglob("*") if p.is_file()
    )


def test_duplicate_records_from_two_writers_fold_to_one(store_path: Path) -> None:
    ds = data.from_pandas(frame())
    entry = data.input_entry(ds, "training")
    with litetrack.start_run() as run:
        writer = Client().store.runs.writer(run.info.run_id)
        writer.log_records([{"input": entry}, {"input": entry}])  # as two processes might
    assert len(litetrack.get_run(run.info.run_id).inputs.dataset_inputs) == 1


def test_client_log_inputs() -> None:
    c = Client()
    run = c.create_run("0")
    ds = data.from_pandas(frame(), name="train")
    c.log_inputs(
        run.info.run_id, [DatasetInput(ds.to_dict(), {"mlflow.data.context": "training"}), ds]
    )
    inputs = c.get_run(run.info.run_id).inputs.dataset_inputs
    assert [(i.dataset["name"], i.context) for i in inputs] == [
        ("train", "training"),
        ("train", None),
    ]


def test_bad_input_refused_before_a_run_starts() -> None:
    with pytest.raises(InvalidArgument, match="run input"):
        litetrack.log_input("trips.csv")
    assert litetrack.active_run() is None
    with pytest.raises(InvalidArgument, match="name"):
        litetrack.log_input({"digest": "x"})
    with pytest.raises(InvalidArgument):
        data.from_pandas(frame(), source=object())
