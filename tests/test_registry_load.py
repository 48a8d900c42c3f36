"""Loading registered models: a real xgboost booster by stage, and after its run was deleted and gc ran."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

import litetrack
from litetrack import Client
from litetrack.registry import referenced_digests, register_model, resolve_model_uri
from litetrack.store.artifacts import materialize

MLMODEL = (
    "artifact_path: model\n"
    "flavors:\n"
    "  xgboost:\n"
    "    data: model.ubj\n"
    "    model_class: xgboost.core.Booster\n"
    "    model_format: ubj\n"
    "    xgb_version: {version}\n"
    "  python_function:\n"
    "    loader_module: litetrack.xgboost\n"
    "    data: model.ubj\n"
)


def _log_booster(tmp_path: Path) -> tuple[str, object, object]:
    np = pytest.importorskip("numpy")
    xgb = pytest.importorskip("xgboost")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4))
    y = x @ np.array([1.0, -2.0, 0.5, 3.0])
    booster = xgb.train(
        {"max_depth": 3, "verbosity": 0}, xgb.DMatrix(x, label=y), num_boost_round=10
    )
    folder = tmp_path / "saved"
    folder.mkdir()
    booster.save_model(str(folder / "model.ubj"))
    (folder / "MLmodel").write_text(MLMODEL.format(version=xgb.__version__))
    with litetrack.start_run() as run:
        litetrack.log_metric("rmse", 0.1)
        litetrack.log_artifacts(str(folder), "model")
        litetrack.log_text("run-only artifact, not pinned", "notes.txt")
    return run.info.run_id, booster, x


def _load_booster(uri: str) -> object:
    import xgboost as xgb

    store, files = resolve_model_uri(uri)
    b = xgb.Booster()
    b.load_model(str(materialize(store, files) / "model.ubj"))
    return b


def test_load_a_booster_by_stage_and_alias(store_path: Path, tmp_path: Path) -> None:
    xgb = pytest.importorskip("xgboost")

    rid, booster, x = _log_booster(tmp_path)
    mv = register_model(f"runs:/{rid}/model", "booster")
    c = Client()
    c.transition_model_version_stage("booster", mv.version, "Production")
    c.set_registered_model_alias("booster", "champion", mv.version)
    expected = booster.predict(xgb.DMatrix(x))
    for uri in (
        "models:/booster/Production",
        "models:/booster@champion",
        "models:/booster/latest",
        "models:/booster/1",
    ):
        got = _load_booster(uri).predict(xgb.DMatrix(x))
        assert (got == expected).all(), uri


def _gc_everything(store_path: Path) -> None:
    """The store's gc when present, else what it must do, by hand."""
    c = Client()
    time.sleep(0.05)
    try:
        from litetrack.store.maintenance import gc
    except ImportError:
        gc = None
    if gc is not None:
        gc(c.store, older_than_seconds=0, grace_seconds=0, no_writers=True)
        return
    keep = referenced_digests(c.store)
    for run_id in list(c.store.runs.iter_ids()):
        if c.store.runs.read(run_id).get("lifecycle_stage") == "deleted":
            shutil.rmtree(c.store.runs.run_dir(run_id))
    for run_id in c.store.runs.iter_ids():
        keep |= {e["digest"] for e in (c.store.runs.read(run_id).get("artifacts") or {}).values()}
    c.store.objects.delete_unreferenced(keep, grace_seconds=0)
    shutil.rmtree(c.store.root / "cache", ignore_errors=True)


def test_a_registered_version_loads_after_its_run_was_deleted_and_gc_ran(
    store_path: Path, tmp_path: Path
) -> None:
    xgb = pytest.importorskip("xgboost")

    rid, booster, x = _log_booster(tmp_path)
    register_model(f"runs:/{rid}/model", "booster")
    Client().transition_model_version_stage("booster", 1, "Production")
    notes = Client().store.runs.read(rid)["artifacts"]["notes.txt"]["digest"]
    Client().delete_run(rid)
    _gc_everything(store_path)
    assert not (store_path / "runs" / rid).exists()
    assert not Client().store.objects.exists(notes)  # gc did run: the run-only blob is gone
    got = _load_booster("models:/booster/Production").predict(xgb.DMatrix(x))
    assert (got == booster.predict(xgb.DMatrix(x))).all()
    mv = Client().get_model_version("booster", 1)
    assert mv.run_id == rid and mv.source == f"runs:/{rid}/model"
    # Once the version is deleted its files are no longer roots.
    Client().delete_model_version("booster", 1)
    _gc_everything(store_path)
    assert not any(p.is_file() for p in (store_path / "objects" / "sha256").rglob("*"))


def test_a_version_from_a_local_folder_survives_gc(store_path: Path, tmp_path: Path) -> None:
    d = tmp_path / "m"
    d.mkdir()
    (d / "MLmodel").write_text("flavors: {}\n")
    (d / "w.bin").write_bytes(os.urandom(1000))
    register_model(str(d), "local")
    with litetrack.start_run():
        pass
    _gc_everything(store_path)
    store, files = resolve_model_uri("models:/local/1")
    assert (materialize(store, files, verify=True) / "w.bin").read_bytes() == (
        d / "w.bin"
    ).read_bytes()


def test_pyfunc_loads_models_uri_after_run_deleted_and_gc(store_path: Path, tmp_path: Path) -> None:
    """The flavour's log_model(..., registered_model_name=) and pyfunc.load_model("models:/...")."""
    np = pytest.importorskip("numpy")
    xgb = pytest.importorskip("xgboost")
    pd = pytest.importorskip("pandas")
    pyfunc = pytest.importorskip("litetrack.pyfunc", reason="litetrack.pyfunc not written yet")
    flavour = pytest.importorskip("litetrack.xgboost", reason="litetrack.xgboost not written yet")
    if not hasattr(pyfunc, "load_model") or not hasattr(flavour, "log_model"):
        pytest.skip("litetrack.pyfunc.load_model / litetrack.xgboost.log_model not written yet")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(100, 3))
    booster = xgb.train({"verbosity": 0}, xgb.DMatrix(x, label=x.sum(axis=1)), num_boost_round=5)
    with litetrack.start_run() as run:
        info = flavour.log_model(booster, "model", registered_model_name="booster")
    version = getattr(info, "registered_model_version", None)
    assert getattr(version, "version", version) == 1
    Client().transition_model_version_stage("booster", 1, "Production")
    Client().delete_run(run.info.run_id)
    _gc_everything(store_path)
    assert not (store_path / "runs" / run.info.run_id).exists()
    model = pyfunc.load_model("models:/booster/Production")
    got = np.asarray(model.predict(pd.DataFrame(x))).ravel()
    assert got == pytest.approx(booster.predict(xgb.DMatrix(x)))
