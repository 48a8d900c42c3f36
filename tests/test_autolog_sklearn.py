"""litetrack.sklearn.autolog(): params, training metrics, the model, nesting, disable."""

from __future__ import annotations

import math

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")

from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import litetrack  # noqa: E402
import litetrack.sklearn as lsk  # noqa: E402
from litetrack import pyfunc  # noqa: E402


@pytest.fixture
def autolog():
    original = LinearRegression.__dict__["fit"]
    lsk.autolog()
    yield
    lsk.autolog(disable=True)
    assert LinearRegression.__dict__["fit"] is original


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(scale=0.1, size=200)
    return X, y


def test_regressor(autolog, data) -> None:
    X, y = data
    est = LinearRegression(fit_intercept=False).fit(X, y)
    assert litetrack.active_run() is None
    run = litetrack.last_active_run()
    assert run.info.status == "FINISHED"
    assert run.data.params["fit_intercept"] == "False"
    assert run.data.tags["estimator_name"] == "LinearRegression"
    m = run.data.metrics
    pred = est.predict(X)
    assert m["training_score"] == pytest.approx(est.score(X, y))
    assert m["training_rmse"] == pytest.approx(math.sqrt(np.mean((pred - y) ** 2)))
    assert m["training_mae"] == pytest.approx(np.mean(np.abs(pred - y)))
    assert m["training_r2_score"] == pytest.approx(est.score(X, y))
    model = pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert np.array_equal(model.predict(X), pred)
    assert model.metadata.get_input_schema().inputs[0].shape == (-1, 3)


def test_classifier(autolog, data) -> None:
    X, y = data
    labels = (y > 0).astype(int)
    LogisticRegression().fit(X, labels)
    metrics = litetrack.last_active_run().data.metrics
    for name in (
        "training_score",
        "training_accuracy_score",
        "training_precision_score",
        "training_recall_score",
        "training_f1_score",
    ):
        assert 0.5 < metrics[name] <= 1.0


def test_pipeline_logs_once_into_the_active_run(autolog, data) -> None:
    X, y = data
    with litetrack.start_run() as run:
        make_pipeline(StandardScaler(), LinearRegression()).fit(X, y)
        assert litetrack.active_run() is run
    got = litetrack.get_run(run.info.run_id)
    assert got.data.tags["estimator_name"] == "Pipeline"
    assert "linearregression__fit_intercept" in got.data.params
    assert len(litetrack.search_runs()) == 1
    assert [f.path for f in litetrack.Client().list_artifacts(run.info.run_id)] == ["model"]


def test_estimator_classes_defined_after_autolog(autolog, data) -> None:
    X, y = data

    class Mine(LinearRegression):
        def fit(self, X, y):
            return super().fit(X, y)

    Mine().fit(X, y)
    assert litetrack.last_active_run().data.tags["estimator_name"] == "Mine"


def test_logging_errors_do_not_break_training(autolog, data) -> None:
    X, y = data
    with litetrack.start_run():
        LinearRegression(fit_intercept=True).fit(X, y)
        with pytest.warns(UserWarning, match="autolog"):
            est = LinearRegression(fit_intercept=False).fit(X, y)  # param value conflict
    assert est.coef_.shape == (3,)


def test_disable(data) -> None:
    X, y = data
    lsk.autolog()
    lsk.autolog(disable=True)
    LinearRegression().fit(X, y)
    assert litetrack.last_active_run() is None
