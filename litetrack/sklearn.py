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

import os
from collections.abc import Sequence
from typing import Any

from litetrack.errors import InvalidArgument
from litetrack.models import autolog_sklearn
from litetrack.models.base import ModelDir, log_flavor_model, open_model
from litetrack.models.model import Model, ModelInfo
from litetrack.models.pickled import load_pickled, pyfunc_for, save_pickled
from litetrack.models.requirements import _dist_version
from litetrack.models.signature import ModelSignature

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


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    disable: bool = False,
    silent: bool = False,
    extra_tags: dict[str, Any] | None = None,
    registered_model_name: str | None = None,
    **_: Any,
) -> None:
    """Log params, training metrics and the model of every scikit-learn ``fit``.

    After ``autolog()``, each top-level ``fit`` of an estimator (nested fits,
    as in pipelines and searches, are part of their parent's) logs the
    estimator's ``get_params()``, ``training_score`` (``score`` on the
    training data), for regressors ``training_rmse``, ``training_mae`` and
    ``training_r2_score``, for classifiers ``training_accuracy_score``,
    ``training_precision_score``, ``training_recall_score`` and
    ``training_f1_score``, and the fitted model under ``model`` (with a
    signature and, if asked, an input example). A run is started when none
    is active and ended after the fit. ``disable=True`` restores the original
    ``fit`` methods.
    """
    autolog_sklearn.autolog(
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        log_models=log_models,
        disable=disable,
        silent=silent,
        extra_tags=extra_tags,
        registered_model_name=registered_model_name,
    )
