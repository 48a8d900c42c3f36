"""The xgboost flavour: ``Booster`` and the scikit-learn wrappers in xgboost's own format.

``log_model(model, name="model")``, ``save_model(model, path)``,
``load_model(uri)`` and ``autolog()``, with MLflow's names and meaning.
Models are written with ``save_model`` in UBJSON (``model.ubj``, the default)
or JSON (``model_format="json"``), never pickled: loading one runs no code
from the file. The ``MLmodel`` file carries MLflow's ``xgboost`` section
(``data``, ``model_class``, ``model_format``, ``xgb_version``), so MLflow
reads these models and litetrack reads MLflow's.
"""

from __future__ import annotations

import functools
import inspect
import io
import json
import logging
import os
import warnings
from collections.abc import Sequence
from typing import Any

from litetrack import clock
from litetrack.entities import Metric
from litetrack.errors import InvalidArgument
from litetrack.fluent import active_run_writer, log_metrics, log_params
from litetrack.models import autolog as A
from litetrack.models.base import ModelDir, log_flavor_model, open_model, save_model_folder
from litetrack.models.model import Model, ModelInfo
from litetrack.models.signature import ModelSignature, infer_signature
from litetrack.store.artifacts import log_bytes
from litetrack.store.core import current_store

__all__ = ["FLAVOR_NAME", "autolog", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "xgboost"
_FORMATS = ("ubj", "json")


def _check_model(xgb_model: Any) -> None:
    import xgboost as xgb

    if not isinstance(xgb_model, (xgb.Booster, xgb.XGBModel)):
        raise InvalidArgument(
            f"litetrack.xgboost saves xgboost.Booster and the scikit-learn wrappers "
            f"(XGBRegressor, XGBClassifier ...); got {type(xgb_model).__name__}. "
            "Use litetrack.sklearn or litetrack.pyfunc for other objects"
        )


def save_model(
    xgb_model: Any,
    path: str | os.PathLike[str],
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    *,
    conda_env: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    model_format: str = "ubj",
    metadata: dict[str, Any] | None = None,
    _run_id: str | None = None,
    _artifact_path: str | None = None,
) -> Model:
    """Save an xgboost model as a model folder at ``path`` (``model.ubj`` or ``model.json``).

    Requirements: xgboost and numpy pinned (and scikit-learn for the
    wrappers). ``input_example`` without ``signature`` infers one, outputs
    from predicting on the example. Raises
    :class:`~litetrack.errors.InvalidArgument` for another kind of model or
    format, :class:`~litetrack.errors.AlreadyExists` when ``path`` is not an
    empty folder.
    """
    import xgboost as xgb

    _check_model(xgb_model)
    if model_format not in _FORMATS:
        raise InvalidArgument(f"model_format must be one of {list(_FORMATS)}, got {model_format!r}")
    data = f"model.{model_format}"
    cls = type(xgb_model)
    wrapper = isinstance(xgb_model, xgb.XGBModel)

    def write(folder: Any) -> None:
        xgb_model.save_model(os.fspath(folder / data))

    return save_model_folder(
        path,
        flavor_name=FLAVOR_NAME,
        flavor_conf={
            "data": data,
            "model_class": f"{cls.__module__}.{cls.__qualname__}",
            "model_format": model_format,
            "xgb_version": xgb.__version__,
        },
        loader_module=__name__,
        write_files=write,
        pyfunc_conf={"data": data},
        flavor_packages=["xgboost", "numpy", *(["scikit-learn"] if wrapper else [])],
        versions_of=["xgboost"],
        signature=signature,
        input_example=input_example,
        predict_for_signature=lambda _folder, example: _XGBModelWrapper(xgb_model).predict(example),
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        conda_env=conda_env,
        code_paths=code_paths,
        metadata=metadata,
        run_id=_run_id,
        artifact_path=_artifact_path,
    )


def log_model(
    xgb_model: Any,
    artifact_path: str | None = None,
    name: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    registered_model_name: str | None = None,
    **options: Any,
) -> ModelInfo:
    """Log an xgboost model to the active run (started if none); return its ModelInfo.

    ``info.model_uri`` is ``runs:/<run_id>/<artifact_path or name or "model">``.
    Other keyword options (``model_format``, ``conda_env``, ``code_paths``,
    ``metadata``) are those of :func:`save_model`.
    """
    return log_flavor_model(
        save_model, xgb_model, artifact_path, name, signature, input_example,
        pip_requirements, extra_pip_requirements, registered_model_name, options,
    )


def _model_class(name: str) -> Any:
    import importlib

    import xgboost as xgb

    module, _, qualname = str(name).rpartition(".")
    # Only xgboost's own classes: the descriptor must not be able to import anything else.
    if module.split(".")[0] != "xgboost":
        raise InvalidArgument(f"model_class {name!r} is not an xgboost class")
    cls = importlib.import_module(module)
    for part in qualname.split("."):
        cls = getattr(cls, part)
    if not (isinstance(cls, type) and issubclass(cls, (xgb.Booster, xgb.XGBModel))):
        raise InvalidArgument(f"model_class {name!r} is not an xgboost model class")
    return cls


def _load(md: ModelDir) -> Any:
    conf = md.flavor(FLAVOR_NAME)
    md.warn_versions(("python", "xgboost"))
    data = conf.get("data") or "model.xgb"
    raw = md.read(str(data))
    model = _model_class(conf.get("model_class") or "xgboost.core.Booster")()
    model.load_model(bytearray(raw))
    return model


def load_model(model_uri: str | os.PathLike[str], dst_path: str | None = None) -> Any:
    """The xgboost model saved at ``model_uri``: a ``Booster`` or the saved wrapper class.

    The file is checked against its recorded SHA-256 first. Warns once when
    the model was saved with another xgboost or Python version.
    """
    return _load(open_model(model_uri))


def _numeric_frame(df: Any) -> bool:
    return all(dt.kind in "biuf" for dt in df.dtypes)


class _XGBModelWrapper:
    """pyfunc implementation: ``predict`` on DataFrames, numpy arrays, sparse matrices, lists."""

    def __init__(self, xgb_model: Any) -> None:
        self.xgb_model = xgb_model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        import numpy as np
        import pandas as pd
        import xgboost as xgb

        model = self.xgb_model
        if isinstance(data, list):
            data = (
                pd.DataFrame.from_records(data)
                if data and isinstance(data[0], dict)
                else np.asarray(data)
            )
        if not isinstance(model, xgb.Booster):
            return model.predict(data, **(params or {}))
        names = model.feature_names
        if (
            isinstance(data, pd.DataFrame)
            and names
            and list(data.columns) != names
            and set(names) <= set(data.columns)
        ):
            data = data[names]
        sparse_csr = (
            type(data).__module__.startswith("scipy.sparse")
            and getattr(data, "format", "") == "csr"
        )
        if (
            (isinstance(data, np.ndarray) and data.dtype.kind in "biuf")
            or sparse_csr
            or (isinstance(data, pd.DataFrame) and _numeric_frame(data))
        ):
            # No DMatrix: ~1/3 faster, and the same bits as Booster.predict.
            return model.inplace_predict(data, **(params or {}))
        return model.predict(xgb.DMatrix(data), **(params or {}))

    def unwrap(self) -> Any:
        return self.xgb_model


def _load_pyfunc(md: ModelDir) -> _XGBModelWrapper:
    return _XGBModelWrapper(_load(md))


# -- autolog ------------------------------------------------------------------
#
# ``litetrack.xgboost.autolog()``: patches ``xgboost.train`` and the wrappers' ``fit``.
#
# Metrics of ``xgboost.train`` are logged live, one write per iteration, by a
# ``TrainingCallback`` added to the call's callbacks; those of the scikit-learn
# wrappers are read from ``evals_result()`` after ``fit`` and logged with one
# write. ``DMatrix.__init__`` is patched to keep the first rows of its data as
# the model's input example.

INTEGRATION = "xgboost"
_log = logging.getLogger(__name__)
# Arguments of xgboost.train that are data or code, not hyperparameters: MLflow's list
# (custom_metric is logged, as there).
_NOT_PARAMS = {
    "params",
    "dtrain",
    "evals",
    "obj",
    "feval",
    "evals_result",
    "callbacks",
    "xgb_model",
    "learning_rates",
}
# Metrics xgboost maximises (its early stopping uses the same rule).
_MAXIMIZE = ("auc", "aucpr", "map", "ndcg", "pre", "interval-regression-accuracy")


def _log_metrics(run_id: str, metrics: dict[str, float], step: int) -> None:
    log_metrics(metrics, step=step, run_id=run_id)


def _callback_class() -> Any:
    import xgboost as xgb

    class MetricsCallback(xgb.callback.TrainingCallback):
        """Logs every evaluation metric after each iteration, at step = iteration."""

        def __init__(self, run_id: str) -> None:
            super().__init__()
            self.run_id = run_id
            self.history: dict[str, dict[str, list[float]]] = {}

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            metrics = {}
            for data, by_metric in evals_log.items():
                for metric, values in by_metric.items():
                    value = values[-1]
                    value = value[0] if isinstance(value, tuple) else value  # (mean, std) in cv
                    metrics[f"{data}-{metric}"] = float(value)
                    self.history.setdefault(data, {}).setdefault(metric, []).append(float(value))
            if metrics:
                A.safely(lambda: _log_metrics(self.run_id, metrics, epoch), INTEGRATION)
            return False

    return MetricsCallback


def _best(
    booster_or_model: Any, history: dict[str, dict[str, list[float]]], maximize: bool | None
) -> dict[str, float]:
    """best_iteration / best_score: early stopping's, else the last metric of the last eval set."""
    try:
        return {
            "best_iteration": float(booster_or_model.best_iteration),
            "best_score": float(booster_or_model.best_score),
        }
    except (AttributeError, TypeError, ValueError):
        pass
    if not history:
        return {}
    metrics = history[list(history)[-1]]
    name = list(metrics)[-1]
    values = metrics[name]
    if maximize is None:
        maximize = name.split("@")[0] in _MAXIMIZE
    best = (
        max(range(len(values)), key=lambda i: (values[i], -i))
        if maximize
        else min(range(len(values)), key=lambda i: (values[i], i))
    )
    return {"best_iteration": float(best), "best_score": values[best]}


def _log_best_step(run_id: str, model: Any, history: dict[str, dict[str, list[float]]]) -> None:
    """After early stopping, as MLflow does: ``stopped_iteration``, and every evaluation
    metric's value at the best iteration logged once more at the step after the last, so
    that a run's latest ``validation-rmse`` (what searches and ``run.data.metrics`` show)
    is the best model's, not the last, worse iteration's."""
    best = int(model.best_iteration)
    rounds = max(len(v) for ms in history.values() for v in ms.values())
    at_best = {
        f"{data}-{metric}": values[best]
        for data, by_metric in history.items()
        for metric, values in by_metric.items()
        if best < len(values)
    }
    _log_metrics(run_id, {"stopped_iteration": float(rounds - 1)}, 0)
    if at_best:
        _log_metrics(run_id, at_best, rounds)


def _importance_png(importance_type: str, scores: dict[str, Any]) -> bytes | None:
    """MLflow's ``feature_importance_<type>.png``: a horizontal bar per feature, sorted by
    magnitude (one bar per class when the booster gives a value per class); None without
    matplotlib, which is optional, as in MLflow."""
    try:
        # A bare Figure, not pyplot: no backend is chosen and no global figure is left
        # behind (a notebook's own plotting is untouched).
        import numpy as np
        from matplotlib.figure import Figure
    except ImportError:
        return None
    features = list(scores)
    values = np.array([scores[f] for f in features], dtype=float)
    if values.ndim <= 1:
        values = values.reshape(-1, 1)
    order = np.argsort(np.abs(values).sum(axis=1))
    features = [features[i] for i in order]
    values = values[order]
    n_classes = values.shape[1]
    fig = Figure(figsize=(6.4, max(2.0, 0.3 * len(features) + 1.0)))
    ax = fig.subplots()
    ylocs = np.arange(len(features))
    if n_classes == 1:
        ax.barh(ylocs, values[:, 0], height=0.5)
    else:
        height = 0.8 / n_classes
        for c in range(n_classes):
            ax.barh(ylocs + (c - (n_classes - 1) / 2) * height, values[:, c], height=height,
                    label=f"Class {c}")
        ax.legend()
    ax.set_yticks(ylocs)
    ax.set_yticklabels(features)
    ax.set_xlabel("Importance")
    ax.set_title(f"Feature Importance ({importance_type})")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _log_importance(run_id: str, booster: Any, types: list[str]) -> None:
    """``feature_importance_<type>.json`` (``booster.get_score``, as MLflow writes it) and,
    when matplotlib is installed, ``feature_importance_<type>.png``, for each type."""
    store = current_store()
    for imp in types:
        scores = booster.get_score(importance_type=imp)
        if scores:
            png = A.safely(
                functools.partial(_importance_png, imp, scores),
                INTEGRATION,
                "plotting feature importance",
            )
            if png is not None:
                log_bytes(store, run_id, png, f"feature_importance_{imp}.png")
        log_bytes(store, run_id, json.dumps(scores).encode(), f"feature_importance_{imp}.json")


def _log_model(model: Any, example: Any, config: dict[str, Any]) -> None:
    signature = None
    if example is not None and config["log_model_signatures"]:

        def infer() -> Any:
            return infer_signature(example, _XGBModelWrapper(model).predict(example))

        signature = A.safely(infer, INTEGRATION, "inferring the signature")
    log_model(
        model,
        "model",
        signature=signature,
        input_example=example if config["log_input_examples"] else None,
        model_format=config["model_format"],
        registered_model_name=config["registered_model_name"],
    )


def _after_training(
    run_id: str,
    model: Any,
    booster: Any,
    history: dict[str, dict[str, list[float]]],
    maximize: bool | None,
    example: Any,
    config: dict[str, Any],
    early_stopping: bool = False,
) -> None:
    best = _best(model, history, maximize)
    if best:
        A.safely(lambda: _log_metrics(run_id, best, 0), INTEGRATION)
    if early_stopping and history:
        A.safely(lambda: _log_best_step(run_id, model, history), INTEGRATION)
    A.safely(
        lambda: _log_importance(run_id, booster, config["importance_types"]),
        INTEGRATION,
        "logging feature importance",
    )
    if config["log_models"]:
        A.safely(lambda: _log_model(model, example, config), INTEGRATION, "logging the model")


def _example_of(dtrain: Any) -> Any:
    """First rows of the data the user passed to the ``DMatrix``, in the form passed; else None.

    A DMatrix built before ``autolog()`` kept no such rows, and what it stores
    (float32, whatever the user passed) must not become the model's signature:
    a signature inferred from it refuses the float64 matrix the model was
    trained from. As MLflow does, the model is then logged without a
    signature or input example, with a warning.
    """
    if dtrain is None:
        return None
    example = getattr(dtrain, "_litetrack_example", None)
    if example is None:
        config = A.configs.get(INTEGRATION, {})
        if config.get("log_model_signatures") or config.get("log_input_examples"):
            message = (
                "litetrack xgboost autolog: no model signature or input example recorded: "
                "the training DMatrix was built before autolog() was enabled, so the data "
                "it was built from is unknown (enable autolog before constructing the dataset)"
            )
            if config.get("silent"):
                _log.debug(message)
            else:
                warnings.warn(message, stacklevel=3)
    return example


def _log_dmatrix_datasets(run_id: str, arguments: dict[str, Any]) -> None:
    """``dtrain`` as input ``dataset`` (context ``train``), each of ``evals`` under its name
    (context ``eval``), as MLflow records them; a DMatrix built before autolog() is skipped."""
    pairs = [(arguments.get("dtrain"), "dataset", "train")]
    pairs += [(d, str(n), "eval") for d, n in arguments.get("evals") or ()]
    for dmatrix, name, context in pairs:
        data = getattr(dmatrix, "_litetrack_data", None)
        if data is not None:
            A.log_dataset(run_id, data, None, context, name)


def _patched_train(original: Any) -> Any:
    signature = inspect.signature(original)

    def train(*args: Any, **kwargs: Any) -> Any:
        config = A.configs.get(INTEGRATION)
        with A.outermost() as top:
            if not top or config is None:
                return original(*args, **kwargs)
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:
                return original(*args, **kwargs)  # let xgboost report the bad call
            arguments = bound.arguments
            full = signature.bind(*args, **kwargs)
            full.apply_defaults()  # num_boost_round=10 is a hyperparameter even when not given
            with A.autolog_run(INTEGRATION, config["extra_tags"]) as run_id:
                params = dict(arguments.get("params") or {})
                params.update(
                    {
                        k: v
                        for k, v in full.arguments.items()
                        if k not in _NOT_PARAMS and k != "kwargs"
                    }
                )
                A.safely(
                    lambda: log_params(A.truncated_params(params), run_id=run_id),
                    INTEGRATION,
                    "logging params",
                )
                callback = _callback_class()(run_id)
                arguments["callbacks"] = [*(arguments.get("callbacks") or []), callback]
                booster = original(*bound.args, **bound.kwargs)
                if config.get("log_datasets"):
                    A.safely(
                        lambda: _log_dmatrix_datasets(run_id, full.arguments),
                        INTEGRATION,
                        "logging the datasets",
                    )
                example = _example_of(arguments.get("dtrain"))
                _after_training(
                    run_id,
                    booster,
                    booster,
                    callback.history,
                    arguments.get("maximize"),
                    example,
                    config,
                    early_stopping=bool(arguments.get("early_stopping_rounds")),
                )
            return booster

    train.__wrapped__ = original  # type: ignore[attr-defined]
    train.__doc__ = original.__doc__
    return train


def _patched_fit(original: Any) -> Any:
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        config = A.configs.get(INTEGRATION)
        with A.outermost() as top:
            if not top or config is None:
                return original(self, *args, **kwargs)
            with A.autolog_run(INTEGRATION, config["extra_tags"]) as run_id:
                def params() -> None:
                    # Every key MLflow logs (what the wrapper passes to xgboost.train:
                    # the booster params, then train's own arguments, n_estimators being
                    # num_boost_round there) and the wrapper's other params besides
                    # (n_estimators, missing ...): a superset.
                    values = {**self.get_params(deep=False), **self.get_xgb_params()}
                    metric = getattr(self, "eval_metric", None)
                    values.update(
                        num_boost_round=self.get_num_boosting_rounds(),
                        early_stopping_rounds=getattr(self, "early_stopping_rounds", None),
                        custom_metric=metric if callable(metric) else None,
                        verbose_eval=kwargs.get("verbose", True),
                        maximize=None,
                    )
                    log_params(A.truncated_params(values), run_id=run_id)

                A.safely(params, INTEGRATION, "logging params")
                result = original(self, *args, **kwargs)
                X = args[0] if args else kwargs.get("X")
                if config.get("log_datasets"):

                    def datasets() -> None:
                        # As MLflow: X as "dataset" (train), eval_set[i] as "validation_i".
                        y = args[1] if len(args) > 1 else kwargs.get("y")
                        A.log_dataset(run_id, X, y, "train")
                        for i, (ex, ey) in enumerate(kwargs.get("eval_set") or ()):
                            A.log_dataset(run_id, ex, ey, "eval", f"validation_{i}")

                    A.safely(datasets, INTEGRATION, "logging the datasets")

                def metrics() -> dict[str, dict[str, list[float]]]:
                    history = {
                        d: {m: [float(v) for v in vals] for m, vals in ms.items()}
                        for d, ms in (self.evals_result() or {}).items()
                    }

                    ts = clock.now_ms()
                    points = [
                        Metric(f"{d}-{m}", v, ts, step)
                        for d, ms in history.items()
                        for m, vals in ms.items()
                        for step, v in enumerate(vals)
                    ]
                    if points:
                        active_run_writer(run_id).log_batch(points)
                    return history

                history = A.safely(metrics, INTEGRATION, "logging metrics") or {}
                stopping = bool(
                    kwargs.get("early_stopping_rounds")
                    or getattr(self, "early_stopping_rounds", None)
                )
                _after_training(
                    run_id, self, self.get_booster(), history, None, A.head(X), config, stopping
                )
            return result

    fit.__wrapped__ = original  # type: ignore[attr-defined]
    fit.__doc__ = original.__doc__
    fit.__name__ = "fit"
    return fit


def _patched_dmatrix_init(original: Any) -> Any:
    def __init__(self: Any, data: Any, *args: Any, **kwargs: Any) -> None:
        original(self, data, *args, **kwargs)
        config = A.configs.get(INTEGRATION, {})
        if config.get("log_models"):
            self._litetrack_example = A.head(data)
        if config.get("log_datasets"):
            # What the DMatrix was built from, to record it as a run input after training
            # (a DMatrix does not give its data back as it came).
            self._litetrack_data = data

    __init__.__wrapped__ = original  # type: ignore[attr-defined]
    return __init__


def autolog(
    importance_types: list[str] | None = None,
    log_input_examples: bool = True,
    log_model_signatures: bool = True,
    log_models: bool = True,
    disable: bool = False,
    silent: bool = False,
    model_format: str = "ubj",
    extra_tags: dict[str, Any] | None = None,
    registered_model_name: str | None = None,
    log_datasets: bool = True,
    **_: Any,
) -> None:
    """Log params, per-iteration metrics, feature importance and the model of xgboost training.

    After ``autolog()``, every ``xgboost.train`` and every ``fit`` of the
    scikit-learn wrappers logs: the parameters (``params`` and the training
    arguments such as ``num_boost_round``); each evaluation metric of each
    ``evals`` set as metric history (``validation-rmse`` at steps 0, 1, ...);
    ``best_iteration`` and ``best_score`` (early stopping's, else those of
    the last metric on the last evaluation set); after early stopping, as in
    MLflow, ``stopped_iteration`` and the metrics of the best iteration again
    at the step after the last; feature importance as
    ``feature_importance_<type>.json`` and, when matplotlib is installed, a bar
    chart ``feature_importance_<type>.png`` (``importance_types``, default
    ``["weight"]``), as MLflow names them; and the model under ``model`` with a signature and an
    input example (the first rows of the training data, when they can be
    had: numpy arrays, DataFrames, scipy sparse matrices); with ``log_datasets`` the training
    data as run input ``dataset`` (context ``train``) and each evaluation set under its name
    (context ``eval``), as MLflow records them. A run is started when none is active and
    ended after training. ``disable=True`` restores the original functions.
    """
    import xgboost as xgb
    import xgboost.training

    A.revert(INTEGRATION)
    if disable:
        return
    A.configs[INTEGRATION] = {
        "importance_types": list(importance_types or ["weight"]),
        "log_input_examples": log_input_examples,
        "log_model_signatures": log_model_signatures,
        "log_models": log_models,
        "silent": silent,
        "model_format": model_format,
        "extra_tags": dict(extra_tags or {}),
        "registered_model_name": registered_model_name,
        "log_datasets": log_datasets,
    }
    original_train = xgboost.training.train
    patched = _patched_train(original_train)
    A.patch(INTEGRATION, xgb, "train", patched)
    A.patch(INTEGRATION, xgboost.training, "train", patched)
    A.patch(INTEGRATION, xgb.DMatrix, "__init__", _patched_dmatrix_init(xgb.DMatrix.__init__))
    for cls in A.all_subclasses(xgb.XGBModel):
        if "fit" in cls.__dict__:
            A.patch(INTEGRATION, cls, "fit", _patched_fit(cls.__dict__["fit"]))
