"""The scikit-learn flavour: estimators, transformers and pipelines saved with cloudpickle.

``log_model(model, name="model")``, ``save_model(model, path)``,
``load_model(uri)`` and ``autolog()``, with MLflow's names and meaning. The
``MLmodel`` file carries MLflow's ``sklearn`` section (``pickled_model``,
``sklearn_version``, ``serialization_format: cloudpickle``), so
``mlflow.sklearn.load_model`` reads these models, and litetrack reads
models MLflow wrote.

**Loading a pickle runs code chosen by whoever wrote it**: load models only
from sources you trust. The pickle is checked against the digest recorded at
save time before it is unpickled (see :mod:`litetrack.models.pickled`).
"""

from __future__ import annotations

import functools
import math
import os
import types
from collections.abc import Sequence
from typing import Any

from litetrack.artifacts import log_text
from litetrack.errors import InvalidArgument
from litetrack.fluent import active_run_writer, end_run, log_metrics, log_params, start_run
from litetrack.models import autolog as A
from litetrack.models.base import ModelDir, log_flavor_model, open_model
from litetrack.models.model import Model, ModelInfo
from litetrack.models.pickled import _call, load_pickled, predict_fn_name, pyfunc_for, save_pickled
from litetrack.models.requirements import _dist_version
from litetrack.models.signature import ModelSignature, infer_signature
from litetrack.store.artifacts import log_bytes
from litetrack.store.core import current_store

__all__ = ["FLAVOR_NAME", "autolog", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "sklearn"


def save_model(
    sk_model: Any,
    path: str | os.PathLike[str],
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    *,
    conda_env: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    serialization_format: str = "cloudpickle",
    metadata: dict[str, Any] | None = None,
    pyfunc_predict_fn: str | None = None,
    _run_id: str | None = None,
    _artifact_path: str | None = None,
) -> Model:
    """Save a scikit-learn model (or any picklable object) as a model folder at ``path``.

    Requirements: scikit-learn and cloudpickle pinned, plus the distribution
    of every module the pickle refers to. ``input_example`` without
    ``signature`` infers one (outputs from ``predict`` on the example).
    Raises :class:`~litetrack.errors.AlreadyExists` when ``path`` is not an
    empty folder, :class:`~litetrack.errors.InvalidArgument` for a
    serialization format other than cloudpickle.
    """
    if serialization_format != "cloudpickle":
        raise InvalidArgument(
            f"serialization_format={serialization_format!r} is not supported; litetrack saves "
            "with cloudpickle (which also reads plain pickles)"
        )
    conf: dict[str, Any] = {"sklearn_version": _dist_version("scikit-learn")}
    return save_pickled(
        sk_model,
        path,
        flavor_name=FLAVOR_NAME,
        flavor_conf=conf,
        loader_module=__name__,
        flavor_packages=["scikit-learn", "cloudpickle"],
        versions_of=["scikit-learn", "cloudpickle"],
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        conda_env=conda_env,
        code_paths=code_paths,
        metadata=metadata,
        run_id=_run_id,
        artifact_path=_artifact_path,
        predict_fn=pyfunc_predict_fn,
    )


def log_model(
    sk_model: Any,
    artifact_path: str | None = None,
    name: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    registered_model_name: str | None = None,
    **options: Any,
) -> ModelInfo:
    """Log a scikit-learn model to the active run (started if none); return its ModelInfo.

    ``info.model_uri`` is ``runs:/<run_id>/<artifact_path or name or "model">``.
    With ``registered_model_name`` the model is registered as a new version.
    Other keyword options are those of :func:`save_model`.
    """
    return log_flavor_model(
        save_model, sk_model, artifact_path, name, signature, input_example,
        pip_requirements, extra_pip_requirements, registered_model_name, options,
    )


def load_model(model_uri: str | os.PathLike[str], dst_path: str | None = None) -> Any:
    """The estimator saved at ``model_uri`` (``runs:/``, ``models:/``, a folder, ``file://``).

    The pickle is verified against its recorded SHA-256 first:
    :class:`~litetrack.errors.ChecksumMismatch` names a modified file. Warns
    (:class:`~litetrack.models.base.ModelVersionWarning`) once when the model
    was saved with another Python or cloudpickle version.
    """
    return load_pickled(open_model(model_uri), FLAVOR_NAME)


def _load_pyfunc(md: ModelDir) -> Any:
    return pyfunc_for(md, FLAVOR_NAME)


# -- autolog ------------------------------------------------------------------
#
# ``litetrack.sklearn.autolog()``: patches ``fit`` (and ``fit_transform``, ``fit_predict``).
#
# Every scikit-learn estimator class that defines one of those methods itself
# is patched: the classes already imported when ``autolog()`` is called, and
# those defined later (a hook on ``BaseEstimator.__init_subclass__``).
# Estimators of xgboost and lightgbm are left to their own integrations.

INTEGRATION = "sklearn"
_METHODS = ("fit", "fit_transform", "fit_predict")
_SKIP_MODULES = ("xgboost", "lightgbm", "litetrack")


def _training_metrics(est: Any, X: Any, y: Any, sample_weight: Any) -> dict[str, float]:
    from sklearn import metrics
    from sklearn.base import is_classifier, is_regressor

    out: dict[str, float] = {}
    if y is None:
        return out
    if hasattr(est, "score"):
        if sample_weight is None:
            # Meta-estimators (GridSearchCV ...) refuse even sample_weight=None.
            out["training_score"] = float(est.score(X, y))
        else:
            try:
                out["training_score"] = float(est.score(X, y, sample_weight=sample_weight))
            except TypeError:
                out["training_score"] = float(est.score(X, y))
    if not hasattr(est, "predict"):
        return out
    if is_regressor(est):
        # MLflow's names, so searches and charts written for MLflow find them.
        pred = est.predict(X)
        mse = float(metrics.mean_squared_error(y, pred, sample_weight=sample_weight))
        out["training_mean_squared_error"] = mse
        out["training_root_mean_squared_error"] = math.sqrt(mse)
        out["training_mean_absolute_error"] = float(
            metrics.mean_absolute_error(y, pred, sample_weight=sample_weight)
        )
        out["training_r2_score"] = float(metrics.r2_score(y, pred, sample_weight=sample_weight))
    elif is_classifier(est):
        pred = est.predict(X)
        out["training_accuracy_score"] = float(
            metrics.accuracy_score(y, pred, sample_weight=sample_weight)
        )
        for name, fn in (
            ("precision", metrics.precision_score),
            ("recall", metrics.recall_score),
            ("f1", metrics.f1_score),
        ):
            out[f"training_{name}_score"] = float(
                fn(y, pred, average="weighted", sample_weight=sample_weight, zero_division=0)
            )
        if hasattr(est, "predict_proba"):
            out.update(_probability_metrics(est, X, y, sample_weight))
    return out


def _probability_metrics(est: Any, X: Any, y: Any, sample_weight: Any) -> dict[str, float]:
    """MLflow's ``training_log_loss`` and ``training_roc_auc`` (weighted one-vs-one for
    several classes); each one left out when it cannot be computed (one class only ...)."""
    from sklearn import metrics

    out: dict[str, float] = {}
    try:
        proba = est.predict_proba(X)
    except Exception:  # noqa: BLE001 - e.g. SVC(probability=False) exposes the method
        return out
    try:
        out["training_log_loss"] = float(metrics.log_loss(y, proba, sample_weight=sample_weight))
    except ValueError:
        pass
    score = proba[:, 1] if proba.ndim == 2 and proba.shape[1] == 2 else proba
    try:
        out["training_roc_auc"] = float(
            metrics.roc_auc_score(
                y, score, average="weighted", sample_weight=sample_weight, multi_class="ovo"
            )
        )
    except ValueError:
        pass
    return out


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str) -> Any:
    return args[index] if len(args) > index else kwargs.get(name)


def _log_model(
    est: Any, X: Any, config: dict[str, Any], name: str = "model", register: bool = True
) -> None:
    example = A.head(X)
    signature = None
    if example is not None and config["log_model_signatures"]:
        fn = predict_fn_name(est)
        if fn in ("predict", "transform"):
            signature = A.safely(
                lambda: infer_signature(example, _call(est, fn, example)),
                INTEGRATION,
                "inferring the signature",
            )
    log_model(
        est,
        name,
        signature=signature,
        input_example=example if config["log_input_examples"] else None,
        registered_model_name=config["registered_model_name"] if register else None,
    )


def _is_search(est: Any) -> bool:
    """True for the parameter searches MLflow's autolog expands (Grid/RandomizedSearchCV)."""
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

    return isinstance(est, (GridSearchCV, RandomizedSearchCV))


def _search_rows(est: Any, max_runs: int | None) -> list[int]:
    """The rows of ``cv_results_`` that get a child run: the best ``max_runs`` by rank."""
    results = est.cv_results_
    n = len(results["params"])
    if max_runs is None:
        return list(range(n))
    rank_key = "rank_test_score"
    if rank_key not in results:  # several scorers: the first rank column, as MLflow does
        rank_key = next((k for k in results if k.startswith("rank_test_")), "")
    ranks = results.get(rank_key)
    order = sorted(range(n), key=lambda i: (ranks[i], i)) if ranks is not None else range(n)
    return list(order)[: max(0, max_runs)]


def _log_search(run_id: str, est: Any, X: Any, config: dict[str, Any]) -> None:
    """MLflow's parameter-search logging: best params and score, the best estimator,
    ``cv_results.csv``, and one child run per candidate (the best ``max_tuning_runs``)."""
    import numbers

    if config["log_models"] and hasattr(est, "best_estimator_"):
        A.safely(
            lambda: _log_model(est.best_estimator_, X, config, "best_estimator", register=False),
            INTEGRATION,
            "logging the best estimator",
        )
    if hasattr(est, "best_score_"):
        log_metrics({"best_cv_score": float(est.best_score_)}, run_id=run_id)
    if hasattr(est, "best_params_"):
        best = {f"best_{k}": v for k, v in est.best_params_.items()}
        log_params(A.truncated_params(best), run_id=run_id)
    if not hasattr(est, "cv_results_"):
        return
    seed = est.estimator
    base = seed.get_params(deep=not _is_search(seed))
    cls = type(seed)
    tags = {
        "mlflow.autologging": INTEGRATION,
        "estimator_name": cls.__name__,
        "estimator_class": f"{cls.__module__}.{cls.__qualname__}",
    }
    results = est.cv_results_
    for i in _search_rows(est, config["max_tuning_runs"]):
        metrics = {}
        for key, column in results.items():
            if key.startswith(("param", "split")):
                continue
            value = column[i]
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                metrics[key] = float(value)
        start_run(nested=True, tags=tags)
        try:
            log_params(A.truncated_params({**base, **results["params"][i]}))
            log_metrics(metrics)
        finally:
            end_run()

    def _csv() -> None:
        import pandas as pd

        text = pd.DataFrame.from_dict(results).to_csv(index=False)
        log_text(text, "cv_results.csv", run_id=run_id)

    A.safely(_csv, INTEGRATION, "logging cv_results.csv")


def _log_estimator_html(run_id: str, est: Any) -> None:
    """``estimator.html``: scikit-learn's HTML view of the fitted estimator, in MLflow's page."""
    from sklearn.utils import estimator_html_repr

    # The same page MLflow writes (its charset keeps the toggle triangles readable).
    page = f"""
<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8"/>
  </head>
  <body>
    {estimator_html_repr(est)}
  </body>
</html>
    """
    log_text(page, "estimator.html", run_id=run_id)


def _is_classifier(est: Any) -> bool:
    from sklearn.base import is_classifier

    return bool(is_classifier(est))


def _render(
    figure: Any, draw: Any, data: tuple[Any, Any, Any, Any], extra: dict[str, Any], title: str
) -> bytes:
    # A bare Figure, as for xgboost's importance plot: no pyplot figure is left open.
    import io

    est, X, y, weight = data
    fig = figure(figsize=(6.0, 4.0))
    ax = fig.subplots()
    display = draw(est, X, y, sample_weight=weight, ax=ax, **extra)
    display.ax_.set_title(title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _classifier_plots(est: Any, X: Any, y: Any, weight: Any) -> dict[str, bytes]:
    """MLflow's classifier plots as PNG bytes: ``training_confusion_matrix.png`` always,
    ``training_roc_curve.png`` and ``training_precision_recall_curve.png`` for two classes.
    Empty without matplotlib (optional, as in MLflow)."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        return {}
    import numpy as np
    from sklearn import metrics

    labels = getattr(est, "classes_", None)
    n_labels = len(labels) if labels is not None else len(set(np.asarray(y).ravel()))
    plots: list[tuple[str, Any, dict[str, Any], str, Any]] = [
        (
            "training_confusion_matrix",
            metrics.ConfusionMatrixDisplay.from_estimator,
            {"normalize": "true", "cmap": "Blues"},
            "Normalized confusion matrix",
            matplotlib.rc_context(
                {"font.size": min(8.0, 50.0 / max(n_labels, 1)), "axes.labelsize": 8.0,
                 "figure.dpi": 175}
            ),
        )
    ]
    if len(set(np.asarray(y).ravel())) == 2:
        plots += [
            ("training_roc_curve", metrics.RocCurveDisplay.from_estimator, {}, "ROC curve", None),
            (
                "training_precision_recall_curve",
                metrics.PrecisionRecallDisplay.from_estimator,
                {},
                "Precision recall curve",
                None,
            ),
        ]
    out = {}
    for name, draw, extra, title, context in plots:
        render = functools.partial(_render, Figure, draw, (est, X, y, weight), extra, title)
        if context is not None:
            with context:
                data = A.safely(render, INTEGRATION, f"plotting {name}")
        else:
            data = A.safely(render, INTEGRATION, f"plotting {name}")
        if data is not None:
            out[f"{name}.png"] = data
    return out


def _after_fit(
    run_id: str, est: Any, args: tuple[Any, ...], kwargs: dict[str, Any], config: dict[str, Any]
) -> None:
    X = _arg(args, kwargs, 0, "X")
    y = _arg(args, kwargs, 1, "y")
    weight = kwargs.get("sample_weight")
    values = A.safely(
        lambda: _training_metrics(est, X, y, weight), INTEGRATION, "computing training metrics"
    )
    if values:
        A.safely(lambda: log_metrics(values, run_id=run_id), INTEGRATION, "logging metrics")
    A.safely(lambda: _log_estimator_html(run_id, est), INTEGRATION, "logging estimator.html")
    if config.get("log_datasets", True):
        A.safely(
            lambda: A.log_dataset(run_id, X, y, "train"), INTEGRATION, "logging the dataset"
        )
    if y is not None and _is_classifier(est):
        plots = A.safely(
            lambda: _classifier_plots(est, X, y, weight), INTEGRATION, "plotting"
        ) or {}
        store = current_store()
        for name, data in plots.items():
            A.safely(
                functools.partial(log_bytes, store, run_id, data, name),
                INTEGRATION,
                f"logging {name}",
            )
    if config["log_models"]:
        A.safely(lambda: _log_model(est, X, config), INTEGRATION, "logging the model")
    if _is_search(est):
        A.safely(lambda: _log_search(run_id, est, X, config), INTEGRATION, "logging the search")


def _patched(original: Any, method: str) -> Any:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        config = A.configs.get(INTEGRATION)
        with A.outermost() as top:
            if not top or config is None:
                return original(self, *args, **kwargs)
            with A.autolog_run(INTEGRATION, config["extra_tags"]) as run_id:
                cls = type(self)
                A.safely(
                    lambda: active_run_writer(run_id).set_tags(
                        {
                            "estimator_name": cls.__name__,
                            "estimator_class": f"{cls.__module__}.{cls.__qualname__}",
                        }
                    ),
                    INTEGRATION,
                    "setting tags",
                )
                # A search logs its own params only (``estimator``, ``param_grid`` ...),
                # not its seed's, as in MLflow: those go to the child runs.
                A.safely(
                    lambda: log_params(
                        A.truncated_params(self.get_params(deep=not _is_search(self))),
                        run_id=run_id,
                    ),
                    INTEGRATION,
                    "logging params",
                )
                result = original(self, *args, **kwargs)
                _after_fit(run_id, self, args, kwargs, config)
            return result

    wrapper.__wrapped__ = original  # type: ignore[attr-defined]
    wrapper.__name__ = method
    wrapper.__qualname__ = getattr(original, "__qualname__", method)
    wrapper.__doc__ = original.__doc__
    wrapper._litetrack_autolog = True  # type: ignore[attr-defined]
    return wrapper


def _patch_class(cls: type) -> None:
    if cls.__module__.split(".")[0] in _SKIP_MODULES:
        return
    for method in _METHODS:
        original = cls.__dict__.get(method)
        # Plain functions only: descriptors (available_if, staticmethod) bind differently.
        if isinstance(original, types.FunctionType) and not getattr(
            original, "_litetrack_autolog", False
        ):
            A.patch(INTEGRATION, cls, method, _patched(original, method))


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    disable: bool = False,
    silent: bool = False,
    extra_tags: dict[str, Any] | None = None,
    registered_model_name: str | None = None,
    max_tuning_runs: int | None = 5,
    log_datasets: bool = True,
    **_: Any,
) -> None:
    """Log params, training metrics and the model of every scikit-learn ``fit``.

    After ``autolog()``, each top-level ``fit`` of an estimator (nested fits,
    as in pipelines and searches, are part of their parent's) logs the
    estimator's ``get_params()``, ``training_score`` (``score`` on the
    training data), for regressors ``training_mean_squared_error``,
    ``training_root_mean_squared_error``, ``training_mean_absolute_error`` and
    ``training_r2_score``, for classifiers ``training_accuracy_score``,
    ``training_precision_score``, ``training_recall_score`` and
    ``training_f1_score`` (and with ``predict_proba`` ``training_log_loss`` and
    ``training_roc_auc``): MLflow's names; ``estimator.html`` (scikit-learn's view of the
    fitted estimator, as MLflow logs it), with matplotlib a classifier's plots, and (with
    ``log_datasets``) the training data as an input of the run, context ``train``. And the
    fitted model under ``model`` (with a
    signature and, if asked, an input example). A run is started when none
    is active and ended after the fit. ``disable=True`` restores the original
    ``fit`` methods.

    A parameter search (``GridSearchCV``, ``RandomizedSearchCV``) also logs, as
    MLflow does, ``best_<param>`` params, the ``best_cv_score`` metric, the best
    estimator under ``best_estimator``, ``cv_results.csv``, and one child run per
    candidate with its params and ``mean_test_score``-style metrics: the best
    ``max_tuning_runs`` by rank (all of them for None).
    """
    if max_tuning_runs is not None and (
        not isinstance(max_tuning_runs, int)
        or isinstance(max_tuning_runs, bool)
        or max_tuning_runs < 0
    ):
        raise InvalidArgument(
            f"Invalid max_tuning_runs {max_tuning_runs!r}: expected a non-negative int or None"
        )
    from sklearn.base import BaseEstimator

    A.revert(INTEGRATION)
    if disable:
        return
    A.configs[INTEGRATION] = {
        "log_input_examples": log_input_examples,
        "log_model_signatures": log_model_signatures,
        "log_models": log_models,
        "silent": silent,
        "extra_tags": dict(extra_tags or {}),
        "registered_model_name": registered_model_name,
        "max_tuning_runs": max_tuning_runs,
        "log_datasets": log_datasets,
    }
    for cls in A.all_subclasses(BaseEstimator):
        _patch_class(cls)
    # Classes defined later (modules imported after autolog(), users' own estimators).
    previous = BaseEstimator.__dict__.get("__init_subclass__")

    def __init_subclass__(cls: type, **kwargs: Any) -> None:
        if previous is not None:
            previous.__get__(None, cls)(**kwargs)
        else:
            super(BaseEstimator, cls).__init_subclass__(**kwargs)
        if A.configs.get(INTEGRATION) is not None:
            _patch_class(cls)

    A.patch(INTEGRATION, BaseEstimator, "__init_subclass__", classmethod(__init_subclass__))
