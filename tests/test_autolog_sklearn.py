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
    # MLflow's metric names (mlflow/sklearn/utils.py _get_regressor_metrics).
    assert m["training_mean_squared_error"] == pytest.approx(np.mean((pred - y) ** 2))
    rmse = math.sqrt(np.mean((pred - y) ** 2))
    assert m["training_root_mean_squared_error"] == pytest.approx(rmse)
    assert m["training_mean_absolute_error"] == pytest.approx(np.mean(np.abs(pred - y)))
    assert "training_rmse" not in m
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
        "training_roc_auc",
    ):
        assert 0.5 < metrics[name] <= 1.0
    # With predict_proba, as in MLflow: log loss and ROC AUC (weighted one-vs-one).
    from sklearn.metrics import log_loss

    model = LogisticRegression().fit(X, labels)
    assert metrics["training_log_loss"] == pytest.approx(log_loss(labels, model.predict_proba(X)))
    from sklearn.svm import LinearSVC

    LinearSVC().fit(X, labels)  # no predict_proba: neither metric
    assert "training_log_loss" not in litetrack.last_active_run().data.metrics


def test_pipeline_logs_once_into_the_active_run(autolog, data) -> None:
    X, y = data
    with litetrack.start_run() as run:
        make_pipeline(StandardScaler(), LinearRegression()).fit(X, y)
        assert litetrack.active_run() is run
    got = litetrack.get_run(run.info.run_id)
    assert got.data.tags["estimator_name"] == "Pipeline"
    assert "mlflow.autologging" not in got.data.tags  # as in MLflow: only runs autolog starts
    assert "linearregression__fit_intercept" in got.data.params
    assert len(litetrack.search_runs()) == 1
    assert [f.path for f in litetrack.Client().list_artifacts(run.info.run_id)] == [
        "estimator.html",
        "model",
    ]


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


def test_parameter_search_as_in_mlflow(data) -> None:
    # MLflow's sklearn autolog on GridSearchCV: the search's own params plus best_<param>,
    # training metrics (score() refuses sample_weight=None on a search), best_cv_score,
    # cv_results.csv, the best estimator, and a child run for the best max_tuning_runs.
    from sklearn.model_selection import GridSearchCV

    X, y = data
    labels = (y > 0).astype(int)
    lsk.autolog(max_tuning_runs=2)
    try:
        search = GridSearchCV(LogisticRegression(), {"C": [0.001, 1.0, 100.0]}, cv=3)
        with _no_warning():
            search.fit(X, labels)
    finally:
        lsk.autolog(disable=True)
    parent = litetrack.last_active_run()
    params, metrics = parent.data.params, parent.data.metrics
    assert params["best_C"] == str(search.best_params_["C"]) and params["cv"] == "3"
    assert "estimator__C" not in params and "C" not in params
    assert metrics["best_cv_score"] == pytest.approx(search.best_score_)
    assert metrics["training_score"] == pytest.approx(search.score(X, labels))
    client = litetrack.MlflowClient()
    artifacts = {f.path for f in client.list_artifacts(parent.info.run_id)}
    assert {"cv_results.csv", "best_estimator", "model"} <= artifacts
    children = client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    ranks = search.cv_results_["rank_test_score"]
    grid = search.cv_results_["params"]
    best_two = sorted(str(p["C"]) for p, r in zip(grid, ranks, strict=True) if r <= 2)
    assert sorted(c.data.params["C"] for c in children) == best_two
    child = children[0]
    assert child.info.status == "FINISHED" and child.data.params["max_iter"] == "100"
    assert {"mean_test_score", "std_test_score", "rank_test_score", "mean_fit_time"} <= set(
        child.data.metrics
    )
    assert not any(k.startswith("split") for k in child.data.metrics)
    with pytest.raises(litetrack.MlflowException, match="max_tuning_runs"):
        lsk.autolog(max_tuning_runs=-1)


class _no_warning:
    """Fails the test on any autolog warning (a logging step that failed)."""

    def __enter__(self) -> None:
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.filterwarnings("error", message="litetrack sklearn autolog")

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)


def test_estimator_html_as_mlflow_logs_it(autolog, data) -> None:
    # MLflow 3.17's sklearn autolog logs estimator.html (sklearn.utils.estimator_html_repr in
    # a UTF-8 page) and no estimator.txt; checked with MLflow itself in /work/mlflow-venv.
    from sklearn.utils import estimator_html_repr

    X, y = data
    est = make_pipeline(StandardScaler(), LinearRegression()).fit(X, y)
    run_id = litetrack.last_active_run().info.run_id
    names = [f.path for f in litetrack.Client().list_artifacts(run_id)]
    assert "estimator.html" in names and "estimator.txt" not in names
    page = litetrack.artifacts.load_text(f"runs:/{run_id}/estimator.html")
    assert '<meta charset="UTF-8"/>' in page
    # The repr numbers its container on each call; the rest is the same.
    assert page.count("sk-container-id") == estimator_html_repr(est).count("sk-container-id")
    assert "StandardScaler" in page and "LinearRegression" in page


def test_classifier_plots_as_mlflow_logs_them(autolog) -> None:
    # MLflow 3.17's sklearn autolog logs, with matplotlib, training_confusion_matrix.png for
    # every classifier, and the ROC and precision-recall curves for two classes.
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    binary = (X[:, 0] > 0).astype(int)
    LogisticRegression().fit(X, binary)
    run_id = litetrack.last_active_run().info.run_id
    names = {f.path for f in litetrack.Client().list_artifacts(run_id)}
    assert {
        "training_confusion_matrix.png",
        "training_roc_curve.png",
        "training_precision_recall_curve.png",
    } <= names
    image = litetrack.artifacts.load_image(f"runs:/{run_id}/training_roc_curve.png")
    assert image.format == "PNG"
    import matplotlib.pyplot as plt

    open_before = plt.get_fignums()
    three = np.digitize(X[:, 0], [-0.5, 0.5])
    LogisticRegression().fit(X, three)
    run_id = litetrack.last_active_run().info.run_id
    names = {f.path for f in litetrack.Client().list_artifacts(run_id)}
    assert "training_confusion_matrix.png" in names and "training_roc_curve.png" not in names
    assert plt.get_fignums() == open_before  # no figure left open in the user's pyplot


def test_training_data_recorded_as_an_input(autolog, data) -> None:
    # MLflow 3.17 (log_datasets=True): the training data as input "dataset", context train.
    X, y = data
    LinearRegression().fit(X, y)
    (entry,) = litetrack.last_active_run().inputs.dataset_inputs
    assert (entry.dataset.name, entry.context) == ("dataset", "train")
    lsk.autolog(log_datasets=False)
    LinearRegression().fit(X, y)
    assert litetrack.last_active_run().inputs.dataset_inputs == []
