"""Reading MLflow's file store without MLflow: real MLflow 2 and 3 stores, foreign paths, damage.

The fixtures under tests/data/mlflow{2,3}/ were written by real MLflow
(tests/fixtures/make_mlflow_fixtures.py) in /tmp/gen/...; their
expected.json is what MLflow itself read back from them.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest

from litetrack import yamlfmt
from litetrack.errors import StoreError
from litetrack.importers.mlflow_files import MlflowFileStore, MlflowRun

DATA = Path(__file__).parent / "data"
LAYOUTS = ["mlflow2", "mlflow3"]


def load_expected(layout: str) -> dict[str, Any]:
    return json.loads((DATA / layout / "expected.json").read_text())


def digest_tree(root: Path | None) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if root is None or not root.is_dir():
        return out
    for p in sorted(root.rglob("*")):
        if p.is_file():
            out[p.relative_to(root).as_posix()] = {
                "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
                "size": p.stat().st_size,
            }
    return out


def same_points(got: list[tuple], want: list[list]) -> bool:
    """Metric histories are equal point by point (nan == nan here)."""
    if len(got) != len(want):
        return False
    for g, w in zip(got, want, strict=True):
        if len(g) != len(w):
            return False
        for a, b in zip(g, w, strict=True):
            if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
                continue
            if a != b:
                return False
    return True


def inside(path: Path | None, root: Path) -> bool:
    return path is not None and path.resolve().is_relative_to(root.resolve())


def read_all(store: MlflowFileStore) -> dict[str, Any]:
    exps = list(store.experiments())
    return {
        "experiments": {e.experiment_id: e for e in exps},
        "runs": {r.run_id: r for e in exps for r in store.runs(e)},
        "logged_models": {m.model_id: m for e in exps for m in store.logged_models(e)},
        "registered_models": {m.name: m for m in store.registered_models()},
    }


@pytest.fixture(scope="module", params=LAYOUTS)
def layout(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any], MlflowFileStore, dict]:
    name = request.param
    store = MlflowFileStore(DATA / name / "mlruns")
    return name, load_expected(name), store, read_all(store)


# --------------------------------------------------------------- real stores
def test_fixture_was_generated_elsewhere(layout) -> None:
    name, expected, store, _ = layout
    assert expected["generator"]["generated_at"].startswith("/tmp/gen/")
    assert expected["generator"]["mlflow"].startswith("2." if name == "mlflow2" else "3.")
    # The store's URIs really are foreign: they name the generation folder.
    meta = next((store.root / "0").glob("*/meta.yaml")).read_text()
    assert "file:///tmp/gen/" in meta


def test_clean_store_has_no_problems(layout) -> None:
    assert layout[2].problems == []


def test_experiments(layout) -> None:
    _, expected, store, got = layout
    exps = got["experiments"]
    assert set(exps) == set(expected["experiments"])
    for exp_id, want in expected["experiments"].items():
        exp = exps[exp_id]
        assert exp.name == want["name"]
        assert exp.lifecycle_stage == want["lifecycle_stage"]
        assert exp.artifact_location == want["artifact_location"]  # raw, as written
        assert exp.creation_time == want["creation_time"]
        assert exp.last_update_time == want["last_update_time"]
        assert exp.tags == want["tags"]
        assert inside(exp.artifact_dir, store.root)
    deleted = exps[expected["notes"]["deleted_experiment"]]
    assert deleted.lifecycle_stage == "deleted"
    assert deleted.path.parent.name == ".trash"


def test_experiment_filter_by_id_or_name(layout) -> None:
    _, expected, store, _ = layout
    ids = [e.experiment_id for e in store.experiments(["taxi-duration", "0"])]
    assert sorted(ids) == sorted(
        [i for i, e in expected["experiments"].items() if e["name"] in ("taxi-duration", "Default")]
    )
    active = [i for i, e in expected["experiments"].items() if e["lifecycle_stage"] == "active"]
    assert sorted(e.experiment_id for e in store.experiments(include_deleted=False)) == sorted(
        active
    )


def test_every_run_with_params_tags_and_status(layout) -> None:
    _, expected, _, got = layout
    runs: dict[str, MlflowRun] = got["runs"]
    assert set(runs) == set(expected["runs"])
    for run_id, want in expected["runs"].items():
        run = runs[run_id]
        assert run.experiment_id == want["experiment_id"]
        assert run.run_name == want["run_name"]
        assert run.status == want["status"]
        assert run.start_time == want["start_time"]
        assert run.end_time == want["end_time"]
        assert run.lifecycle_stage == want["lifecycle_stage"]
        assert run.user_id == want["user_id"]
        assert run.artifact_uri == want["artifact_uri"]
        assert run.params == want["params"]
        assert run.tags == want["tags"]  # multi-line, non-ASCII values exact
    notes = expected["notes"]
    assert runs[notes["failed_run"]].status == "FAILED"
    assert runs[notes["deleted_run"]].lifecycle_stage == "deleted"
    assert runs[notes["running_run"]].status == "RUNNING"
    assert runs[notes["running_run"]].end_time is None
    children = [r for r in runs.values() if "mlflow.parentRunId" in r.tags]
    assert len(children) == 2
    assert children[0].tags["mlflow.parentRunId"] in runs


def test_every_metric_point(layout) -> None:
    _, expected, _, got = layout
    for run_id, want in expected["runs"].items():
        run = got["runs"][run_id]
        assert set(run.metrics) == set(want["metrics"]), run_id
        for key, points in want["metrics"].items():
            have = list(run.metrics[key])
            for index, _, _ in run.metric_datasets.get(key, []):
                # MLflow's FileStore reads the step of a 5-field line (metric
                # logged with dataset=) as 0, though the file holds the real one.
                ts, value, step = have[index]
                assert step == 5  # what the generator logged
                have[index] = (ts, value, 0)
            assert same_points(have, points), (run_id, key)
    failed = got["runs"][expected["notes"]["failed_run"]]
    loss = [v for _, v, _ in failed.metrics["loss"]]
    assert loss[0] == 1.0 and math.isinf(loss[1]) and math.isnan(loss[2])


def test_dataset_inputs_and_outputs(layout) -> None:
    name, expected, _, got = layout
    fields = ("name", "digest", "source_type", "source", "schema", "profile", "tags")
    for run_id, want in expected["runs"].items():
        run = got["runs"][run_id]
        have = sorted(
            ({k: d.get(k) for k in fields} for d in run.inputs),
            key=lambda d: (d["name"], d["tags"].get("mlflow.data.context", "")),
        )
        assert have == want["inputs"], run_id
        assert sorted(o["model_id"] for o in run.outputs) == want["outputs"]
    if name == "mlflow3":
        # A metric logged with dataset= keeps the dataset on its line.
        linked = [r for r in got["runs"].values() if r.metric_datasets]
        assert linked and all(
            ds[1] == "taxi-val" for r in linked for v in r.metric_datasets.values() for ds in v
        )


def test_every_artifact_byte_found_in_the_imported_folder(layout) -> None:
    _, expected, store, got = layout
    for run_id, want in expected["runs"].items():
        run = got["runs"][run_id]
        if want["artifacts"]:
            assert inside(run.artifact_dir, store.root), run_id
        else:
            # An empty artifacts/ folder, or none at all (git keeps no empty folders).
            assert run.artifact_dir is None or inside(run.artifact_dir, store.root)
        assert digest_tree(run.artifact_dir) == want["artifacts"], run_id
    # The same config file logged by three runs: identical bytes everywhere.
    digests = {
        a["config/config.json"]["sha256"]
        for a in (w["artifacts"] for w in expected["runs"].values())
        if "config/config.json" in a
    }
    assert len(digests) == 1


def test_deleted_experiment_runs_resolve_into_trash(layout) -> None:
    _, expected, store, got = layout
    trashed = [
        r
        for r in got["runs"].values()
        if r.experiment_id == expected["notes"]["deleted_experiment"]
    ]
    assert trashed
    for run in trashed:
        # MLflow moved the folder but left artifact_uri pointing at <root>/<exp>/...
        assert ".trash" not in run.artifact_uri
        assert run.artifact_dir is not None
        assert run.artifact_dir.relative_to(store.root).parts[0] == ".trash"


def test_logged_models(layout) -> None:
    name, expected, store, got = layout
    models = got["logged_models"]
    assert set(models) == set(expected["logged_models"])
    if name == "mlflow2":
        assert models == {}
        return
    for model_id, want in expected["logged_models"].items():
        model = models[model_id]
        assert model.name == want["name"]
        assert model.source_run_id == want["source_run_id"]
        assert model.status == want["status"]
        assert model.model_type == want["model_type"]
        assert model.creation_timestamp == want["creation_timestamp"]
        assert model.params == want["params"]
        assert model.tags == want["tags"]
        assert inside(model.artifact_dir, store.root)
        assert digest_tree(model.artifact_dir) == want["artifacts"]
        # MLflow reports one (latest) point per key and dataset; each is on disk.
        for key, ts, value, step, run_id, ds_name, ds_digest in want["metrics"]:
            assert (ts, value, step, run_id, ds_name, ds_digest) in model.metrics[key]
        assert {m[0] for m in want["metrics"]} == set(model.metrics)


def test_registry(layout) -> None:
    _, expected, store, got = layout
    registered = got["registered_models"]
    assert set(registered) == set(expected["registered_models"])
    for name, want in expected["registered_models"].items():
        model = registered[name]
        assert model.description == want["description"]
        assert model.tags == want["tags"]
        assert model.aliases == {a: int(v) for a, v in want["aliases"].items()}
        assert model.creation_timestamp == want["creation_timestamp"]
        assert model.last_updated_timestamp == want["last_updated_timestamp"]
        live = {str(v.version): v for v in model.versions if not v.deleted}
        assert set(live) == set(want["versions"])
        for number, wv in want["versions"].items():
            v = live[number]
            assert v.current_stage == wv["current_stage"]
            assert v.description == wv["description"]
            assert v.source == wv["source"]
            assert v.run_id == wv["run_id"]
            assert v.tags == wv["tags"]
            assert v.aliases == wv["aliases"]
            assert v.creation_timestamp == wv["creation_timestamp"]
            assert v.last_updated_timestamp == wv["last_updated_timestamp"]
            assert v.model_id == wv["model_id"]
            assert inside(v.storage_location, store.root)
            if wv["storage_location"].startswith("file://"):
                # The foreign absolute path, re-rooted in the imported folder.
                tail = wv["storage_location"].split("/mlruns/", 1)[1]
                assert v.storage_location == store.root / tail
            mlmodel = yamlfmt.load((v.storage_location / "MLmodel").read_text())
            assert mlmodel["run_id"] == v.run_id
    for gone in expected["deleted_model_versions"]:
        versions = {v.version: v for v in registered[gone["name"]].versions}
        v = versions[int(gone["version"])]
        assert v.deleted and v.current_stage == "Deleted_Internal"
        assert v.aliases == []  # MLflow dropped its alias with it


def test_stages_and_aliases_present(layout) -> None:
    _, _, _, got = layout
    stages = {v.current_stage for m in got["registered_models"].values() for v in m.versions}
    assert {"Staging", "Production", "Archived", "Deleted_Internal"} <= stages
    assert got["registered_models"]["taxi-xgb"].aliases == {"champion": 2, "challenger": 3}


def test_model_uris_of_the_predictions_resolve(layout) -> None:
    name, _, store, _ = layout
    preds = json.loads((DATA / name / "expected_predictions.json").read_text())
    assert len(preds["models"]) == 3
    assert {m["flavor"] for m in preds["models"]} == {"sklearn", "xgboost"}
    for m in preds["models"]:
        folder = store.resolve_uri(m["model_uri"])
        assert inside(folder, store.root), m["model_uri"]
        assert (folder / "MLmodel").is_file()
        assert len(m["predictions"]) == len(preds["input"]["data"])


def test_path_holding_mlruns_is_accepted() -> None:
    store = MlflowFileStore(DATA / "mlflow2")
    assert store.root == (DATA / "mlflow2" / "mlruns").absolute()


def test_not_a_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as info:
        MlflowFileStore(tmp_path / "nope")
    assert "nope" in str(info.value)


def test_runs_stream() -> None:
    store = MlflowFileStore(DATA / "mlflow2" / "mlruns")
    exp = next(e for e in store.experiments() if e.name == "taxi-duration")
    assert inspect.isgenerator(store.runs(exp))
    assert inspect.isgenerator(store.registered_models())
    # An experiment id works as well as the object.
    assert {r.run_id for r in store.runs(exp.experiment_id)} == {r.run_id for r in store.runs(exp)}


# ------------------------------------------------------------ URI resolution
@pytest.fixture(scope="module")
def store3() -> tuple[MlflowFileStore, dict[str, Any]]:
    return MlflowFileStore(DATA / "mlflow3" / "mlruns"), load_expected("mlflow3")


def _a_run(expected: dict[str, Any], run_name: str) -> tuple[str, dict[str, Any]]:
    return next((i, r) for i, r in expected["runs"].items() if r["run_name"] == run_name)


def test_resolve_foreign_path_forms(store3) -> None:
    store, expected = store3
    run_id, run = _a_run(expected, "linreg-baseline")
    exp_id = run["experiment_id"]
    artifacts = store.root / exp_id / run_id / "artifacts"
    tail = f"mlruns/{exp_id}/{run_id}/artifacts"
    cases = {
        f"file:///somewhere/else/{tail}/notes.txt": artifacts / "notes.txt",
        f"/home/someone/{tail}/notes.txt": artifacts / "notes.txt",
        f"file:///C:/Users/me/{tail}/report/sub": artifacts / "report" / "sub",
        "C:\\Users\\me\\" + tail.replace("/", "\\") + "\\notes.txt": artifacts / "notes.txt",
        f"./{tail}": artifacts,
        f"{exp_id}/{run_id}/artifacts/notes.txt": artifacts / "notes.txt",
        f"file:///x/{tail}/docs/notes%20%C3%A9t%C3%A9.txt": artifacts / "docs" / "notes été.txt",
        # The store folder renamed since: anchored at the experiment id.
        f"file:///old/place/runs-store/{exp_id}/{run_id}/artifacts": artifacts,
    }
    for uri, want in cases.items():
        assert store.resolve_uri(uri) == want, uri


def test_resolve_run_and_model_uris(store3) -> None:
    store, expected = store3
    run_id, _ = _a_run(expected, "xgb-depth-3")
    (model_id,) = expected["runs"][run_id]["outputs"]
    model_dir = store.resolve_uri(f"models:/{model_id}")
    assert model_dir is not None and model_dir.name == "artifacts"
    assert model_dir.parent.name == model_id
    # MLflow 3: runs:/<run>/model is the logged model named "model", not a run artifact.
    assert store.resolve_uri(f"runs:/{run_id}/model") == model_dir
    assert store.resolve_uri(f"runs:/{run_id}/model/MLmodel") == model_dir / "MLmodel"
    assert store.resolve_uri(f"runs:/{run_id}/config/config.json").is_file()
    assert store.resolve_uri("models:/taxi-xgb/2") == model_dir
    assert store.resolve_uri("models:/taxi-xgb@champion") == model_dir
    assert store.resolve_uri("models:/taxi-xgb/Production") == model_dir
    assert store.resolve_uri("models:/taxi-xgb/latest") == model_dir  # v3 is the same booster
    assert store.resolve_uri("models:/taxi-xgb@nope") is None
    assert store.resolve_uri("models:/nope/1") is None


def test_resolve_mlflow2_runs_uri() -> None:
    store = MlflowFileStore(DATA / "mlflow2" / "mlruns")
    expected = load_expected("mlflow2")
    run_id, run = _a_run(expected, "xgb-depth-3")
    got = store.resolve_uri(f"runs:/{run_id}/model")
    assert got == store.root / run["experiment_id"] / run_id / "artifacts" / "model"


def test_resolve_mlflow_artifacts_uri(tmp_path: Path) -> None:
    # `mlflow server` layout: mlruns/ for metadata, mlartifacts/ beside it.
    shutil.copytree(DATA / "mlflow2" / "mlruns", tmp_path / "mlruns")
    (tmp_path / "mlartifacts" / "7" / "abc" / "artifacts").mkdir(parents=True)
    (tmp_path / "mlartifacts" / "7" / "abc" / "artifacts" / "f.txt").write_text("x")
    store = MlflowFileStore(tmp_path / "mlruns")
    got = store.resolve_uri("mlflow-artifacts:/7/abc/artifacts/f.txt")
    assert got == tmp_path / "mlartifacts" / "7" / "abc" / "artifacts" / "f.txt"
    got = store.resolve_uri("mlflow-artifacts://host:5000/7/abc/artifacts")
    assert got == tmp_path / "mlartifacts" / "7" / "abc" / "artifacts"


def test_resolve_refuses_outside_paths_and_remote(store3, tmp_path: Path) -> None:
    store, _ = store3
    outside = tmp_path / "secret.txt"
    outside.write_text("no")
    assert store.resolve_uri(f"file://{outside}") is None
    assert store.resolve_uri("s3://bucket/mlruns/0/abc/artifacts") is None
    assert store.resolve_uri("file:///x/mlruns/0/../../../etc/passwd") is None
    assert store.resolve_uri("runs:/nope/model") is None
    assert store.resolve_uri("models:/..") is None
    assert store.resolve_uri("models:/../taxi-xgb/1") is None
    assert store.resolve_uri("runs:/../0") is None
    assert store.resolve_uri("") is None
    opened = MlflowFileStore(store.root, allow_outside=True)
    assert opened.resolve_uri(f"file://{outside}") == outside


# ------------------------------------------------------------------- damage
@pytest.fixture
def damaged(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    root = tmp_path / "copied" / "mlruns"
    shutil.copytree(DATA / "mlflow3" / "mlruns", root)
    return root, load_expected("mlflow3")


def test_torn_metric_line_is_reported_and_dropped(damaged) -> None:
    root, expected = damaged
    run_id, run = _a_run(expected, "linreg-baseline")
    path = root / run["experiment_id"] / run_id / "metrics" / "val" / "rmse"
    data = path.read_bytes()
    path.write_bytes(data[:-4])  # the last line loses its newline and a digit or two
    store = MlflowFileStore(root)
    got = read_all(store)
    assert [p.path for p in store.problems] == [path]
    assert "torn" in store.problems[0].reason
    assert same_points(got["runs"][run_id].metrics["val/rmse"], run["metrics"]["val/rmse"][:-1])
    assert set(got["runs"]) == set(expected["runs"])  # everything else still read


def test_bad_metric_lines_are_skipped(damaged) -> None:
    root, expected = damaged
    run_id, run = _a_run(expected, "diverged")
    path = root / run["experiment_id"] / run_id / "metrics" / "loss"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0] + "garbage here\n\n" + "".join(lines[1:]))
    store = MlflowFileStore(root)
    got = read_all(store)
    assert len(store.problems) == 2 and all(p.path == path for p in store.problems)
    assert same_points(got["runs"][run_id].metrics["loss"], run["metrics"]["loss"])


def test_missing_and_garbage_meta_yaml(damaged) -> None:
    root, expected = damaged
    (gone_id, gone), (junk_id, junk), (extra_id, extra) = [
        _a_run(expected, n) for n in ("oops", "crashed", "default-smoke")
    ]
    (root / gone["experiment_id"] / gone_id / "meta.yaml").unlink()
    (root / junk["experiment_id"] / junk_id / "meta.yaml").write_bytes(b"\x00\xff: [[[\n\x89PNG")
    (root / extra["experiment_id"] / extra_id / "core.12345").write_bytes(b"\x00" * 10)
    (root / extra["experiment_id"] / "not-a-run").mkdir()
    (root / extra["experiment_id"] / "stray.txt").write_text("?")
    store = MlflowFileStore(root)
    got = read_all(store)
    assert set(got["runs"]) == set(expected["runs"]) - {gone_id, junk_id}
    reasons = {p.path.relative_to(root).as_posix(): p.reason for p in store.problems}
    exp0 = extra["experiment_id"]
    assert f"{gone['experiment_id']}/{gone_id}/meta.yaml" in reasons
    assert f"{junk['experiment_id']}/{junk_id}/meta.yaml" in reasons
    assert f"{exp0}/{extra_id}/core.12345" in reasons
    assert f"{exp0}/not-a-run/meta.yaml" in reasons
    assert f"{exp0}/stray.txt" in reasons
    assert len(store.problems) == 5
    # The run with a stray file was still read in full.
    assert got["runs"][extra_id].params == extra["params"]


def test_missing_experiment_and_version_meta(damaged) -> None:
    root, expected = damaged
    (root / "0" / "meta.yaml").unlink()
    (root / "models" / "taxi-xgb" / "version-1" / "meta.yaml").unlink()
    store = MlflowFileStore(root)
    got = read_all(store)
    assert "0" not in got["experiments"]
    assert len(got["experiments"]) == len(expected["experiments"]) - 1
    assert [v.version for v in got["registered_models"]["taxi-xgb"].versions] == [2, 3]
    paths = {p.path for p in store.problems}
    assert paths == {
        root / "0" / "meta.yaml",
        root / "models" / "taxi-xgb" / "version-1" / "meta.yaml",
    }


def test_run_with_wrong_ids_is_ignored_like_mlflow(damaged) -> None:
    root, expected = damaged
    run_id, run = _a_run(expected, "default-smoke")
    meta = root / run["experiment_id"] / run_id / "meta.yaml"
    meta.write_text(meta.read_text().replace("experiment_id: '0'", "experiment_id: '999'"))
    store = MlflowFileStore(root)
    assert run_id not in read_all(store)["runs"]
    assert len(store.problems) == 1 and "experiment_id" in store.problems[0].reason


def test_empty_folders_lost_in_a_copy_are_not_problems(damaged) -> None:
    # MLflow creates artifacts/, params/ ... even when empty; git, zip and
    # some rsync filters drop empty folders.
    root, expected = damaged
    for folder in sorted(root.rglob("*"), key=lambda p: -len(p.parts)):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    store = MlflowFileStore(root)
    got = read_all(store)
    assert store.problems == []
    assert set(got["runs"]) == set(expected["runs"])
    for run_id, want in expected["runs"].items():
        assert digest_tree(got["runs"][run_id].artifact_dir) == want["artifacts"]
        assert got["runs"][run_id].params == want["params"]


def test_missing_artifacts_elsewhere_are_reported(damaged) -> None:
    root, expected = damaged
    run_id, run = _a_run(expected, "default-smoke")
    meta = root / run["experiment_id"] / run_id / "meta.yaml"
    meta.write_text(
        meta.read_text().replace(run["artifact_uri"], "file:///mnt/nas/custom-artifacts/abc")
    )
    store = MlflowFileStore(root)
    got = read_all(store)
    assert got["runs"][run_id].artifact_dir is None
    assert [p.reason.split(":")[0] for p in store.problems] == ["artifacts not found"]


def test_remote_artifacts_are_reported(damaged) -> None:
    root, expected = damaged
    run_id, run = _a_run(expected, "default-smoke")
    meta = root / run["experiment_id"] / run_id / "meta.yaml"
    meta.write_text(meta.read_text().replace(run["artifact_uri"], "s3://bucket/0/abc/artifacts"))
    store = MlflowFileStore(root)
    assert read_all(store)["runs"][run_id].artifact_dir is None
    assert [p.reason.split(":")[0] for p in store.problems] == ["artifacts are not in the store"]
