"""``litetrack.xgboost.autolog()``: patches ``xgboost.train`` and the wrappers' ``fit``.

Metrics of ``xgboost.train`` are logged live, one write per iteration, by a
``TrainingCallback`` added to the call's callbacks; those of the scikit-learn
wrappers are read from ``evals_result()`` after ``fit`` and logged with one
write. ``DMatrix.__init__`` is patched to keep the first rows of its data as
the model's input example.
"""

from __future__ import annotations

import inspect
import json
import logging
import warnings
from typing import Any

from litetrack.models import autolog as A

__all__ = ["autolog"]

INTEGRATION = "xgboost"
_log = logging.getLogger(__name__)
# Arguments of xgboost.train that are data or code, not hyperparameters.
_NOT_PARAMS = {
    "params",
    "dtrain",
    "evals",
    "obj",
    "feval",
    "custom_metric",
    "evals_result",
    "callbacks",
    "xgb_model",
}
# Metrics xgboost maximises (its early stopping uses the same rule).
_MAXIMIZE = ("auc", "aucpr", "map", "ndcg", "pre", "interval-regression-accuracy")


def _log_metrics(run_id: str, metrics: dict[str, float], step: int) -> None:
    from litetrack.fluent import log_metrics

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


def _log_importance(run_id: str, booster: Any, types: list[str]) -> None:
    from litetrack.fluent import _client
    from litetrack.store.artifacts import log_bytes

    store = _client().store
    for imp in types:
        scores = booster.get_score(importance_type=imp)
        data = json.dumps({str(k): float(v) for k, v in scores.items()}, indent=2).encode()
        log_bytes(store, run_id, data, f"feature_importance_{imp}.json")


def _log_model(model: Any, example: Any, config: dict[str, Any]) -> None:
    from litetrack import xgboost as lx
    from litetrack.models.signature import infer_signature

    signature = None
    if example is not None and config["log_model_signatures"]:

        def infer() -> Any:
            return infer_signature(example, lx._XGBModelWrapper(model).predict(example))

        signature = A.safely(infer, INTEGRATION, "inferring the signature")
    lx.log_model(
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
) -> None:
    best = _best(model, history, maximize)
    if best:
        A.safely(lambda: _log_metrics(run_id, best, 0), INTEGRATION)
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
                from litetrack.fluent import log_params

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
                example = _example_of(arguments.get("dtrain"))
                _after_training(
                    run_id,
                    booster,
                    booster,
                    callback.history,
                    arguments.get("maximize"),
                    example,
                    config,
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
                from litetrack.fluent import _writer, log_params

                A.safely(
                    lambda: log_params(
                        A.truncated_params(self.get_params(deep=False)), run_id=run_id
                    ),
                    INTEGRATION,
                    "logging params",
                )
                result = original(self, *args, **kwargs)
                X = args[0] if args else kwargs.get("X")

                def metrics() -> dict[str, dict[str, list[float]]]:
                    from litetrack.entities import Metric

                    history = {
                        d: {m: [float(v) for v in vals] for m, vals in ms.items()}
                        for d, ms in (self.evals_result() or {}).items()
                    }
                    import time

                    ts = int(time.time() * 1000)
                    points = [
                        Metric(f"{d}-{m}", v, ts, step)
                        for d, ms in history.items()
                        for m, vals in ms.items()
                        for step, v in enumerate(vals)
                    ]
                    if points:
                        _writer(run_id).log_batch(points)
                    return history

                history = A.safely(metrics, INTEGRATION, "logging metrics") or {}
                _after_training(run_id, self, self.get_booster(), history, None, A.head(X), config)
            return result

    fit.__wrapped__ = original  # type: ignore[attr-defined]
    fit.__doc__ = original.__doc__
    fit.__name__ = "fit"
    return fit


def _patched_dmatrix_init(original: Any) -> Any:
    def __init__(self: Any, data: Any, *args: Any, **kwargs: Any) -> None:
        original(self, data, *args, **kwargs)
        if A.configs.get(INTEGRATION, {}).get("log_models"):
            self._litetrack_example = A.head(data)

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
) -> None:
    """Enable (``disable=True``: disable) xgboost autologging; see litetrack.xgboost.autolog."""
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
    }
    original_train = xgboost.training.train
    patched = _patched_train(original_train)
    A.patch(INTEGRATION, xgb, "train", patched)
    A.patch(INTEGRATION, xgboost.training, "train", patched)
    A.patch(INTEGRATION, xgb.DMatrix, "__init__", _patched_dmatrix_init(xgb.DMatrix.__init__))
    for cls in A.all_subclasses(xgb.XGBModel):
        if "fit" in cls.__dict__:
            A.patch(INTEGRATION, cls, "fit", _patched_fit(cls.__dict__["fit"]))
