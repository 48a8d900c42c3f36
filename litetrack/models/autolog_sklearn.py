"""``litetrack.sklearn.autolog()``: patches ``fit`` (and ``fit_transform``, ``fit_predict``).

Every scikit-learn estimator class that defines one of those methods itself
is patched: the classes already imported when ``autolog()`` is called, and
those defined later (a hook on ``BaseEstimator.__init_subclass__``).
Estimators of xgboost and lightgbm are left to their own integrations.
"""

from __future__ import annotations

import math
import types
from typing import Any

from litetrack.models import autolog as A

__all__ = ["autolog"]

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
        try:
            out["training_score"] = float(est.score(X, y, sample_weight=sample_weight))
        except TypeError:
            out["training_score"] = float(est.score(X, y))
    if not hasattr(est, "predict"):
        return out
    if is_regressor(est):
        pred = est.predict(X)
        mse = metrics.mean_squared_error(y, pred, sample_weight=sample_weight)
        out["training_rmse"] = math.sqrt(float(mse))
        out["training_mae"] = float(
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
    return out


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str) -> Any:
    return args[index] if len(args) > index else kwargs.get(name)


def _log_model(est: Any, X: Any, config: dict[str, Any]) -> None:
    from litetrack import sklearn as lsk
    from litetrack.models.pickled import _call, predict_fn_name
    from litetrack.models.signature import infer_signature

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
    lsk.log_model(
        est,
        "model",
        signature=signature,
        input_example=example if config["log_input_examples"] else None,
        registered_model_name=config["registered_model_name"],
    )


def _after_fit(
    run_id: str, est: Any, args: tuple[Any, ...], kwargs: dict[str, Any], config: dict[str, Any]
) -> None:
    from litetrack.fluent import log_metrics

    X = _arg(args, kwargs, 0, "X")
    y = _arg(args, kwargs, 1, "y")
    weight = kwargs.get("sample_weight")
    values = A.safely(
        lambda: _training_metrics(est, X, y, weight), INTEGRATION, "computing training metrics"
    )
    if values:
        A.safely(lambda: log_metrics(values, run_id=run_id), INTEGRATION, "logging metrics")
    if config["log_models"]:
        A.safely(lambda: _log_model(est, X, config), INTEGRATION, "logging the model")


def _patched(original: Any, method: str) -> Any:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        config = A.configs.get(INTEGRATION)
        with A.outermost() as top:
            if not top or config is None:
                return original(self, *args, **kwargs)
            with A.autolog_run(INTEGRATION, config["extra_tags"]) as run_id:
                from litetrack.fluent import active_run_writer, log_params

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
                A.safely(
                    lambda: log_params(
                        A.truncated_params(self.get_params(deep=True)), run_id=run_id
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
) -> None:
    """Enable (``disable=True``: disable) sklearn autologging; see litetrack.sklearn.autolog."""
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
