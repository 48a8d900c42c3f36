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

import os
from collections.abc import Sequence
from typing import Any

from litetrack.errors import InvalidArgument
from litetrack.models.base import ModelDir, log_flavor_model, open_model, save_model_folder
from litetrack.models.model import Model, ModelInfo
from litetrack.models.signature import ModelSignature

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
    **_: Any,
) -> None:
    """Log params, per-iteration metrics, feature importance and the model of xgboost training.

    After ``autolog()``, every ``xgboost.train`` and every ``fit`` of the
    scikit-learn wrappers logs: the parameters (``params`` and the training
    arguments such as ``num_boost_round``); each evaluation metric of each
    ``evals`` set as metric history (``validation-rmse`` at steps 0, 1, ...);
    ``best_iteration`` and ``best_score`` (early stopping's, else those of
    the last metric on the last evaluation set); feature importance as
    ``feature_importance_<type>.json`` (``importance_types``, default
    ``["weight"]``); and the model under ``model`` with a signature and an
    input example (the first rows of the training data, when they can be
    had: numpy arrays, DataFrames, scipy sparse matrices). A run is started when none is active and
    ended after training. ``disable=True`` restores the original functions.
    """
    from litetrack.models import autolog_xgboost

    autolog_xgboost.autolog(
        importance_types=importance_types,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        log_models=log_models,
        disable=disable,
        silent=silent,
        model_format=model_format,
        extra_tags=extra_tags,
        registered_model_name=registered_model_name,
    )
