"""litetrack.xgboost.autolog(): xgboost.train with eval sets, the sklearn wrappers, disable."""

from __future__ import annotations

import json

import pytest

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
xgb = pytest.importorskip("xgboost")

import litetrack  # noqa: E402
import litetrack.xgboost as lxgb  # noqa: E402
from litetrack import pyfunc  # noqa: E402
from litetrack.artifacts import load_text  # noqa: E402


@pytest.fixture
def autolog():
    original_train = xgb.train
    original_fit = xgb.XGBModel.fit
    lxgb.autolog()
    yield
    lxgb.autolog(disable=True)
    assert xgb.train is original_train and xgb.training.train is original_train
    assert xgb.XGBModel.fit is original_fit


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(600, 5)), columns=[f"f{i}" for i in range(5)])
    y = X.to_numpy() @ rng.normal(size=5) + rng.normal(size=600)
    return X, y


def history(run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in litetrack.Client().get_metric_history(run_id, key)]


def test_train_with_eval_set(autolog, data) -> None:
    X, y = data
    dtrain = xgb.DMatrix(X[:400], label=y[:400])
    dval = xgb.DMatrix(X[400:], label=y[400:])
    evals_result: dict = {}
    booster = xgb.train(
        {"max_depth": 3, "eta": 0.3, "nthread": 1, "eval_metric": ["rmse", "mae"]},
        dtrain,
        num_boost_round=12,
        evals=[(dtrain, "train"), (dval, "validation")],
        evals_result=evals_result,
        verbose_eval=False,
    )
    assert litetrack.active_run() is None  # the run autolog started is ended
    run = litetrack.last_active_run()
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.autologging"] == "xgboost"
    params = run.data.params
    assert params["max_depth"] == "3" and params["eta"] == "0.3"
    assert params["num_boost_round"] == "12" and params["early_stopping_rounds"] == "None"
    run_id = run.info.run_id
    for data_name in ("train", "validation"):
        for metric in ("rmse", "mae"):
            got = history(run_id, f"{data_name}-{metric}")
            assert [s for s, _ in got] == list(range(12))
            assert [v for _, v in got] == pytest.approx(evals_result[data_name][metric])
    val = evals_result["validation"]["mae"]  # the last metric of the last eval set
    best = int(np.argmin(val))
    assert run.data.metrics["best_iteration"] == best
    assert run.data.metrics["best_score"] == pytest.approx(val[best])
    importance = json.loads(load_text(f"runs:/{run_id}/feature_importance_weight.json"))
    assert importance == pytest.approx(booster.get_score(importance_type="weight"))

    model = pyfunc.load_model(f"runs:/{run_id}/model")
    assert model.metadata.flavors["xgboost"]["model_format"] == "ubj"
    assert [c.name for c in model.metadata.get_input_schema().inputs] == list(X.columns)
    example = model.metadata.load_input_example()
    assert example.equals(X[:5])
    assert np.array_equal(model.predict(X), booster.predict(xgb.DMatrix(X)))


def test_early_stopping_best_iteration(autolog, data) -> None:
    X, y = data
    dtrain = xgb.DMatrix(X[:400], label=y[:400])
    dval = xgb.DMatrix(X[400:], label=y[400:])
    with litetrack.start_run() as run:
        booster = xgb.train(
            {"max_depth": 6, "eta": 0.9, "nthread": 1},
            dtrain,
            200,
            evals=[(dval, "val")],
            early_stopping_rounds=3,
            verbose_eval=False,
        )
        assert litetrack.active_run() is run  # an active run is used, not ended
    metrics = litetrack.get_run(run.info.run_id).data.metrics
    assert metrics["best_iteration"] == booster.best_iteration < 199
    assert metrics["best_score"] == pytest.approx(booster.best_score)
    # As in MLflow: stopped_iteration, and the best iteration's value logged again at the
    # step after the last, so the run's latest val-rmse is the best model's.
    rounds = booster.num_boosted_rounds()
    assert metrics["stopped_iteration"] == rounds - 1
    assert metrics["val-rmse"] == pytest.approx(booster.best_score)
    got = history(run.info.run_id, "val-rmse")
    assert [s for s, _ in got] == [*range(rounds), rounds]


def test_sklearn_wrapper_early_stopping_and_mlflow_param_names(autolog, data) -> None:
    X, y = data
    reg = xgb.XGBRegressor(n_estimators=200, max_depth=6, learning_rate=0.9, n_jobs=1,
                           early_stopping_rounds=3)
    reg.fit(X[:400], y[:400], eval_set=[(X[400:], y[400:])], verbose=False)
    run = litetrack.last_active_run()
    assert run.data.params["num_boost_round"] == run.data.params["n_estimators"] == "200"
    scores = reg.evals_result()["validation_0"]["rmse"]
    assert run.data.metrics["stopped_iteration"] == len(scores) - 1
    assert run.data.metrics["validation_0-rmse"] == pytest.approx(scores[reg.best_iteration])


def test_sklearn_wrapper_fit(autolog, data) -> None:
    X, y = data
    reg = xgb.XGBRegressor(n_estimators=8, max_depth=2, n_jobs=1)
    reg.fit(X[:400], y[:400], eval_set=[(X[400:], y[400:])], verbose=False)
    run = litetrack.last_active_run()
    assert run.data.params["n_estimators"] == "8" and run.data.params["max_depth"] == "2"
    got = history(run.info.run_id, "validation_0-rmse")
    assert [s for s, _ in got] == list(range(8))
    assert [v for _, v in got] == pytest.approx(reg.evals_result()["validation_0"]["rmse"])
    loaded = lxgb.load_model(f"runs:/{run.info.run_id}/model")
    assert type(loaded) is xgb.XGBRegressor
    assert np.array_equal(loaded.predict(X), reg.predict(X))
    # One run for the fit: the train() it calls inside is not logged separately.
    runs = litetrack.search_runs()
    assert len(runs) == 1


def test_failed_training_marks_the_run_failed(autolog, data) -> None:
    X, y = data
    with pytest.raises(xgb.core.XGBoostError):
        xgb.train({"objective": "no:such"}, xgb.DMatrix(X, label=y), 2)
    assert litetrack.last_active_run().info.status == "FAILED"


def test_disable_stops_logging(data) -> None:
    X, y = data
    lxgb.autolog()
    lxgb.autolog(disable=True)
    xgb.train({"nthread": 1}, xgb.DMatrix(X, label=y), 2)
    assert litetrack.last_active_run() is None


def _course_data():
    """The MLflow course's taxi flow: DictVectorizer over dicts -> scipy CSR float64."""
    DictVectorizer = pytest.importorskip("sklearn.feature_extraction").DictVectorizer
    rng = np.random.default_rng(0)
    dicts = [
        {"PU_DO": f"{rng.integers(5)}_{rng.integers(5)}", "trip_distance": float(rng.random() * 10)}
        for _ in range(300)
    ]
    X = DictVectorizer().fit_transform(dicts)
    assert X.dtype == np.float64 and type(X).__module__.startswith("scipy.sparse")
    return X, rng.random(300)


def test_dmatrix_built_before_autolog_gives_no_signature_and_a_warning(data) -> None:
    lxgb.autolog(disable=True)  # whatever an earlier test left: autolog is off here
    X, y = _course_data()
    train = xgb.DMatrix(X, label=y)  # before autolog(), as in the course
    lxgb.autolog()
    try:
        with pytest.warns(UserWarning, match="before autolog"):
            with litetrack.start_run() as run:
                xgb.train({"max_depth": 3, "nthread": 1}, train, 3)
    finally:
        lxgb.autolog(disable=True)
    model = pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert model.metadata.signature is None
    # The model accepts the data it was trained from.
    assert model.predict(X).shape == (300,)


def test_dmatrix_built_after_autolog_signature_accepts_training_data(autolog) -> None:
    X, y = _course_data()
    train = xgb.DMatrix(X, label=y)
    with litetrack.start_run() as run:
        booster = xgb.train({"max_depth": 3, "nthread": 1}, train, 3)
    model = pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    signature = model.metadata.signature
    assert signature is not None
    assert "float64" in str(signature.inputs)  # the form the user passed, not DMatrix's float32
    assert np.allclose(model.predict(X), booster.predict(xgb.DMatrix(X)))
    assert model.predict(X.astype(np.float32)).shape == (300,)


# -- MLflow's tests/xgboost/test_xgboost_autolog.py ----------------------------------


def test_xgb_autolog_logs_feature_importance(autolog, data) -> None:
    # test_xgb_autolog_logs_feature_importance: the .json and, with matplotlib, the .png.
    pytest.importorskip("matplotlib")
    X, y = data
    model = xgb.train({"max_depth": 2}, xgb.DMatrix(X, label=y), num_boost_round=3)
    run_id = litetrack.last_active_run().info.run_id
    artifacts = [x.path for x in litetrack.Client().list_artifacts(run_id)]
    assert "feature_importance_weight.png" in artifacts
    assert "feature_importance_weight.json" in artifacts
    loaded_imp = json.loads(load_text(f"runs:/{run_id}/feature_importance_weight.json"))
    assert loaded_imp == model.get_score(importance_type="weight")
    png = litetrack.artifacts.load_image(f"runs:/{run_id}/feature_importance_weight.png")
    assert png.format == "PNG"


def test_xgb_autolog_logs_specified_feature_importance(data) -> None:
    # test_xgb_autolog_logs_specified_feature_importance
    pytest.importorskip("matplotlib")
    importance_types = ["weight", "total_gain"]
    lxgb.autolog(importance_types=importance_types)
    try:
        X, y = data
        model = xgb.train({"max_depth": 2}, xgb.DMatrix(X, label=y), num_boost_round=3)
    finally:
        lxgb.autolog(disable=True)
    run_id = litetrack.last_active_run().info.run_id
    artifacts = [x.path for x in litetrack.Client().list_artifacts(run_id)]
    for importance_type in importance_types:
        assert f"feature_importance_{importance_type}.png" in artifacts
        json_name = f"feature_importance_{importance_type}.json"
        assert json_name in artifacts
        loaded_imp = json.loads(load_text(f"runs:/{run_id}/{json_name}"))
        assert loaded_imp == model.get_score(importance_type=importance_type)


def test_xgb_autolog_importance_without_matplotlib_logs_the_json_only(
    autolog, data, monkeypatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # as if not installed
    X, y = data
    xgb.train({"max_depth": 2}, xgb.DMatrix(X, label=y), num_boost_round=3)
    run_id = litetrack.last_active_run().info.run_id
    artifacts = [x.path for x in litetrack.Client().list_artifacts(run_id)]
    assert "feature_importance_weight.json" in artifacts
    assert "feature_importance_weight.png" not in artifacts


def test_xgb_autolog_logs_the_params_mlflow_logs(autolog, data) -> None:
    # MLflow 3.17 logs, for xgboost.train, the booster params and every argument of train
    # but the data and code ones (custom_metric included); for the sklearn wrappers, what
    # they pass to train. litetrack logs all of those (and, for the wrappers, their own
    # params besides).
    X, y = data
    xgb.train({"max_depth": 2}, xgb.DMatrix(X, label=y), num_boost_round=3)
    params = litetrack.last_active_run().data.params
    assert {
        "max_depth": "2",
        "num_boost_round": "3",
        "early_stopping_rounds": "None",
        "maximize": "None",
        "verbose_eval": "True",
        "custom_metric": "None",
    }.items() <= params.items()
    reg = xgb.XGBRegressor(n_estimators=3, max_depth=2, n_jobs=1)
    reg.fit(X, y, eval_set=[(X, y)], verbose=False)
    params = litetrack.last_active_run().data.params
    expected = {k: str(v) for k, v in reg.get_xgb_params().items()}
    expected.update(num_boost_round="3", early_stopping_rounds="None", custom_metric="None",
                    verbose_eval="False", maximize="None")
    assert expected.items() <= params.items()


def test_xgb_autolog_records_the_datasets_as_mlflow_does(autolog, data) -> None:
    # MLflow 3.17 (log_datasets=True): dtrain as input "dataset" (context train), each eval
    # set under its name (context eval); for the wrappers, eval_set[i] as "validation_i".
    X, y = data
    dtrain, dval = xgb.DMatrix(X[:400], label=y[:400]), xgb.DMatrix(X[400:], label=y[400:])
    xgb.train({"max_depth": 2}, dtrain, 2, evals=[(dtrain, "train"), (dval, "val")])
    inputs = litetrack.last_active_run().inputs.dataset_inputs
    assert [(i.dataset.name, i.context) for i in inputs] == [
        ("dataset", "train"), ("train", "eval"), ("val", "eval")
    ]
    assert inputs[0].dataset.digest == inputs[1].dataset.digest  # the same data
    xgb.XGBRegressor(n_estimators=2, n_jobs=1).fit(X, y, eval_set=[(X[400:], y[400:])],
                                                   verbose=False)
    inputs = litetrack.last_active_run().inputs.dataset_inputs
    assert [(i.dataset.name, i.context) for i in inputs] == [
        ("dataset", "train"), ("validation_0", "eval")
    ]
    lxgb.autolog(log_datasets=False)
    xgb.train({"max_depth": 2}, xgb.DMatrix(X, label=y), 2)
    assert litetrack.last_active_run().inputs.dataset_inputs == []
