"""`import-mlflow`: real MLflow 2.x and 3.x fixture stores brought over without MLflow."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest

from litetrack import Client
from litetrack.cli import main
from litetrack.entities import ViewType
from litetrack.importers.mlflow_files import MlflowFileStore

DATA = Path(__file__).parent / "data"
LAYOUTS = ["mlflow2", "mlflow3"]


def _expected(layout: str) -> dict[str, Any]:
    return json.loads((DATA / layout / "expected.json").read_text())


def _import(layout: str, store: Path, *extra: str) -> int:
    return main(["--store", str(store), "import-mlflow", str(DATA / layout / "mlruns"), *extra])


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("layout", LAYOUTS)
def test_everything_compares_equal(layout: str, store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = _expected(layout)
    _import(layout, store_path)
    capsys.readouterr()
    c = Client(str(store_path))
    reader = MlflowFileStore(DATA / layout / "mlruns")
    five_field = {
        (r.run_id, key): {i for i, _, _ in v}
        for e in reader.experiments() for r in reader.runs(e) for key, v in r.metric_datasets.items()
    }
    exp_names = {e["name"]: e for e in expected["experiments"].values()}
    for name, e in exp_names.items():
        ours = c.get_experiment_by_name(name)
        assert ours is not None, name
        assert ours.lifecycle_stage == e["lifecycle_stage"]
        for k, v in (e.get("tags") or {}).items():
            assert ours.tags.get(k) == v
    for run_id, want in expected["runs"].items():
        run = c.get_run(run_id)  # the MLflow run id is kept
        assert run.info.status == want["status"]
        assert run.info.start_time == want["start_time"] and run.info.end_time == want["end_time"]
        assert run.info.lifecycle_stage == want["lifecycle_stage"]
        assert run.info.run_name == want["run_name"]
        assert run.data.params == want["params"]
        for k, v in want["tags"].items():
            assert run.data.tags[k] == v
        for key, points in want["metrics"].items():
            hist = c.get_metric_history(run_id, key)
            assert len(hist) == len(points), (run_id, key)
            skip = five_field.get((run_id, key), set())
            # The file lists points in logging order; get_metric_history orders them by
            # timestamp, step, value (as MLflow 3's SQL store): match each point to one.
            left = list(hist)
            for i, (ts, value, step) in enumerate(points):
                found = next(
                    m for m in left
                    if m.timestamp == ts and _same(m.value, value)
                    # MLflow misreads the step of 5-field lines as 0
                    and (i in skip or m.step == step)
                )
                left.remove(found)
        manifest = c.store.runs.read(run_id).get("artifacts") or {}
        for path, info in want["artifacts"].items():
            assert manifest[path]["size"] == info["size"], (run_id, path)
            data = c.store.objects.read_bytes(manifest[path]["digest"])
            assert hashlib.sha256(data).hexdigest() == info["sha256"]
        if want.get("inputs"):
            got = [i.dataset.get("name") for i in run.inputs.dataset_inputs]
            assert sorted(got) == sorted(i["dataset"]["name"] if "dataset" in i else i["name"] for i in want["inputs"])
    # Deleted runs are imported deleted; searches hide them by default.
    deleted = expected["notes"]["deleted_run"]
    assert c.get_run(deleted).info.lifecycle_stage == "deleted"
    eid = c.get_run(deleted).info.experiment_id
    assert deleted not in [r.info.run_id for r in c.search_runs([eid])]
    assert deleted in [r.info.run_id for r in c.search_runs([eid], run_view_type=ViewType.ALL)]
    # Nested runs keep their parent.
    assert any("mlflow.parentRunId" in w["tags"] for w in expected["runs"].values())


@pytest.mark.parametrize("layout", LAYOUTS)
def test_logged_models_become_run_artifacts(layout: str, store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = _expected(layout)
    _import(layout, store_path)
    c = Client(str(store_path))
    for model_id, m in expected.get("logged_models", {}).items():
        run_id = m.get("source_run_id") or m.get("run_id")
        name = m.get("name")
        manifest = c.store.runs.read(run_id)["artifacts"]
        for rel, info in m["artifacts"].items():
            assert manifest[f"{name}/{rel}"]["size"] == info["size"], (model_id, rel)


def test_idempotent_and_dry_run(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--store", str(store_path), "import-mlflow", str(DATA / "mlflow2" / "mlruns"), "--dry-run", "--json"]) in (0, 1)
    dry = json.loads(capsys.readouterr().out)
    assert dry["runs_imported"] == len(_expected("mlflow2")["runs"]) and not (store_path / "runs").exists()
    _import("mlflow2", store_path, "--json")
    first = json.loads(capsys.readouterr().out)
    _import("mlflow2", store_path, "--json")
    second = json.loads(capsys.readouterr().out)
    assert first["runs_imported"] == dry["runs_imported"] and second["runs_imported"] == 0
    assert second["runs_skipped"] == first["runs_imported"]
    # Sorted: the order of a listing is the filesystem's.
    blobs = sorted((store_path / "objects" / "sha256").rglob("*"))
    _import("mlflow2", store_path)
    assert sorted((store_path / "objects" / "sha256").rglob("*")) == blobs


def test_resumes_after_a_killed_import(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _import("mlflow3", store_path)
    capsys.readouterr()
    expected = _expected("mlflow3")
    victim = next(iter(expected["runs"]))
    # A kill before run.json was written leaves a folder without it.
    (store_path / "runs" / victim / "run.json").unlink()
    _import("mlflow3", store_path, "--json")
    summary = json.loads(capsys.readouterr().out)
    assert summary["runs_imported"] == 1
    assert Client(str(store_path)).get_run(victim).data.params == expected["runs"][victim]["params"]


def test_damaged_store_reported_not_fatal(store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "copy"
    shutil.copytree(DATA / "mlflow2" / "mlruns", src)
    runs = sorted(p for p in src.glob("*/*") if (p / "meta.yaml").exists() and (p / "metrics").is_dir() and any((p / "metrics").iterdir()))
    metric = next(f for f in (runs[0] / "metrics").rglob("*") if f.is_file())
    metric.write_bytes(metric.read_bytes() + b"17000000")  # torn last line
    (runs[1] / "meta.yaml").unlink()
    (runs[2].parent / "garbage-folder").mkdir()
    (runs[2].parent / "garbage-folder" / "junk").write_text("not a run")
    code = main(["--store", str(store_path), "import-mlflow", str(src), "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 1 and summary["problems"]
    text = "\n".join(summary["problems"])
    assert str(metric) in text or metric.name in text
    assert "meta.yaml" in text
    assert summary["runs_imported"] >= len(_expected("mlflow2")["runs"]) - 2


@pytest.mark.parametrize("layout", LAYOUTS)
def test_registry_compares_equal(layout: str, store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = _expected(layout)
    _import(layout, store_path)
    capsys.readouterr()
    c = Client(str(store_path))
    for name, want in expected["registered_models"].items():
        rm = c.get_registered_model(name)
        assert rm.description == want["description"]
        assert rm.tags == want["tags"]
        assert {a: int(v) for a, v in rm.aliases.items()} == {a: int(v) for a, v in want["aliases"].items()}
        for number, wv in want["versions"].items():
            mv = c.get_model_version(name, number)
            assert int(mv.version) == int(number)
            assert mv.current_stage == wv["current_stage"]
            assert mv.run_id == wv["run_id"] and mv.source == wv["source"]
            assert mv.description == wv["description"] and mv.tags == wv["tags"]
            assert sorted(mv.aliases) == sorted(wv["aliases"])
    for gone in expected.get("deleted_model_versions", []):
        from litetrack.errors import ModelVersionNotFound

        with pytest.raises(ModelVersionNotFound):
            c.get_model_version(gone["name"], gone["version"])
    # Importing again adds nothing.
    _import(layout, store_path, "--json")
    again = json.loads(capsys.readouterr().out)
    assert again["model_versions"] == 0


@pytest.mark.parametrize("layout", LAYOUTS)
def test_imported_models_predict_exactly_as_mlflow_did(layout: str, store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("xgboost")
    pytest.importorskip("sklearn")
    pd = pytest.importorskip("pandas")
    import numpy as np

    import litetrack

    _import(layout, store_path, "--json")
    summary = json.loads(capsys.readouterr().out)
    litetrack.set_tracking_uri(store_path)
    preds = json.loads((DATA / layout / "expected_predictions.json").read_text())
    X = pd.DataFrame(preds["input"]["data"], columns=preds["input"]["columns"])
    checked = 0
    for m in preds["models"]:
        uri = f"runs:/{m['run_id']}/model"
        if any(uri in s for s in summary["models_not_loadable"]):
            continue  # e.g. MLflow 3.17 saves sklearn with skops: kept as artifacts, reported
        got = np.asarray(litetrack.pyfunc.load_model(uri).predict(X), dtype="float64")
        assert np.array_equal(got, np.asarray(m["predictions"], dtype="float64")), m["key"]
        checked += 1
    assert checked >= 2
    champion = litetrack.pyfunc.load_model("models:/taxi-xgb@champion").predict(X)
    assert len(champion) == len(X)


def test_yaml_alias_bomb_in_meta_yaml_is_refused(store_path: Path, tmp_path: Path) -> None:
    # Issue 12 item 5: 9 levels of 9 aliases as run_name expand to 9**9 strings
    # in whoever walks the value. The import runs in a child process under a
    # 1 GB address-space limit, so a regression fails the test, not the machine.
    from conftest import run_python

    src = tmp_path / "copy"
    shutil.copytree(DATA / "mlflow2" / "mlruns", src)
    victim = next(p for p in sorted(src.glob("*/*")) if (p / "meta.yaml").is_file() and (p / "metrics").is_dir())
    levels = ['a0: &a0 ["lol"]']
    for i in range(1, 10):
        levels.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    meta = victim / "meta.yaml"
    text = meta.read_text().replace("\nrun_name: ", "\nrun_name: *a9\nold_name: ")
    meta.write_text("\n".join(levels) + "\n" + text)

    proc = run_python(
        "import json, resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from litetrack.cli import main\n"
        "sys.exit(main(['--store', sys.argv[1], 'import-mlflow', sys.argv[2], '--json']))\n",
        str(store_path),
        str(src),
        check=False,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    summary = json.loads(proc.stdout)
    refused = [p for p in summary["problems"] if str(meta) in p]
    assert refused and "alias" in refused[0], summary["problems"]
    assert summary["runs_imported"] == len(_expected("mlflow2")["runs"]) - 1
    assert victim.name not in {r.info.run_id for r in Client(str(store_path)).search_runs(
        [e.experiment_id for e in Client(str(store_path)).search_experiments(view_type=ViewType.ALL)],
        run_view_type=ViewType.ALL,
    )}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_registry_import_resumes_after_a_kill_before_model_json(
    layout: str, store_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from litetrack.store.registry import docs

    expected = _expected(layout)
    real_write = docs.write_doc

    def killed(path: str, doc: dict[str, Any]) -> None:
        if path.endswith("model.json") and doc["latest"]:
            # The process dies at the final write: model.json was created
            # (latest 0), the version files written, their stages not.
            raise KeyboardInterrupt
        real_write(path, doc)

    monkeypatch.setattr(docs, "write_doc", killed)
    with pytest.raises(KeyboardInterrupt):
        _import(layout, store_path)
    monkeypatch.setattr(docs, "write_doc", real_write)
    assert list((store_path / "registry").rglob("versions/*.json"))  # the kill came after them
    assert _import(layout, store_path) in (0, 1)
    capsys.readouterr()
    c = Client(str(store_path))
    staged = 0
    for name, want in expected["registered_models"].items():
        for number, wv in want["versions"].items():
            assert c.get_model_version(name, number).current_stage == wv["current_stage"], (name, number)
            staged += wv["current_stage"] != "None"
        assert {a: int(v) for a, v in c.get_registered_model(name).aliases.items()} == {
            a: int(v) for a, v in want["aliases"].items()
        }
    assert staged  # the fixture has staged versions: the test checks something
    from litetrack.store.core import Store
    from litetrack.store.verify import verify

    assert verify(Store(store_path)).ok
