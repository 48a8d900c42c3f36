"""litetrack: local-first experiment tracking and model registry, no server, no MLflow.

``import litetrack`` (or ``import litetrack as mlflow``) gives the fluent
tracking API. Heavy parts (pandas, cloudpickle, xgboost, pyspark) are imported
only by the calls that need them: flavour modules such as
``litetrack.xgboost`` and ``litetrack.pyfunc`` load on first attribute access.
"""

from __future__ import annotations

import importlib
from typing import Any

from litetrack import entities, errors
from litetrack.client import Client
from litetrack.errors import LitetrackError, MlflowException
from litetrack.fluent import (
    ActiveRun,
    active_run,
    create_experiment,
    delete_experiment,
    delete_experiment_tag,
    delete_run,
    delete_tag,
    disable_system_metrics_logging,
    enable_system_metrics_logging,
    end_run,
    flush_async_logging,
    get_experiment,
    get_experiment_by_name,
    get_parent_run,
    get_run,
    get_tracking_uri,
    is_tracking_uri_set,
    last_active_run,
    log_input,
    log_inputs,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    search_experiments,
    set_experiment,
    set_experiment_tag,
    set_experiment_tags,
    set_tag,
    set_tags,
    set_tracking_uri,
    start_run,
)
from litetrack.store.location import get_registry_uri, set_registry_uri

__version__ = "0.1.0"

#: MLflow's name for the client, kept for drop-in use.
MlflowClient = Client

# Submodules loaded on first access (``litetrack.xgboost.log_model(...)``),
# so that ``import litetrack`` stays light.
_LAZY_SUBMODULES = {
    "artifacts",
    "cli",
    "data",
    "exceptions",
    "models",
    "projects",
    "pyfunc",
    "search",
    "sklearn",
    "tracking",
    "types",
    "xgboost",
}
# Functions living in modules that import more than the core needs.
_LAZY_ATTRS: dict[str, str] = {
    "search_runs": "litetrack.search",
    "log_artifact": "litetrack.artifacts",
    "log_artifacts": "litetrack.artifacts",
    "log_text": "litetrack.artifacts",
    "log_dict": "litetrack.artifacts",
    "log_figure": "litetrack.artifacts",
    "log_table": "litetrack.artifacts",
    "load_table": "litetrack.artifacts",
    "log_image": "litetrack.artifacts",
    "autolog": "litetrack.autologging",
    "get_artifact_uri": "litetrack.artifacts",
    "register_model": "litetrack.registry",
    "search_registered_models": "litetrack.registry",
    "search_model_versions": "litetrack.registry",
    "set_model_version_tag": "litetrack.registry",
}

# MLflow names litetrack leaves out, and why: reaching one says so, instead of a bare
# AttributeError (still an AttributeError, so ``hasattr`` keeps its meaning).
_NOT_IMPLEMENTED: dict[str, str] = {
    **dict.fromkeys(
        ("evaluate", "validate_evaluation_results"), "model evaluation is out of scope"
    ),
    **dict.fromkeys(
        (
            "trace", "start_span", "get_trace", "search_traces", "update_current_trace",
            "get_current_active_span", "get_last_active_trace_id", "log_trace", "tracing",
        ),
        "tracing is out of scope",
    ),
    **dict.fromkeys(
        ("genai", "load_prompt", "register_prompt", "search_prompts", "openai", "anthropic",
         "langchain", "llama_index", "dspy", "deployments", "gateway"),
        "GenAI, prompts and deployments are out of scope",
    ),
    **dict.fromkeys(
        ("pytorch", "tensorflow", "keras", "lightgbm", "catboost", "statsmodels", "prophet",
         "transformers", "sentence_transformers", "onnx", "h2o", "pmdarima", "spacy",
         "fastai", "paddle", "johnsnowlabs", "diviner", "shap", "pyspark"),
        "litetrack's flavours are sklearn, xgboost, pyfunc and spark (litetrack.spark); "
        "save other models with a custom mlflow.pyfunc.PythonModel",
    ),
    **dict.fromkeys(
        ("search_logged_models", "get_logged_model", "last_logged_model", "set_active_model",
         "initialize_logged_model", "create_external_model", "log_model_params",
         "log_outputs", "finalize_logged_model", "set_logged_model_tags"),
        "MLflow 3's LoggedModel entity is not kept; models are run artifacts "
        "(runs:/<run_id>/<name>) and registry versions",
    ),
    "run": "run projects with `python -m litetrack run` (docs/projects.md)",
    "spark": "Spark ML models are not a flavour; score models on Spark with "
    "mlflow.pyfunc.spark_udf",
    "login": "there is no server to log in to",
    "doctor": "use `python -m litetrack verify`",
}

__all__ = [
    "ActiveRun",
    "Client",
    "LitetrackError",
    "MlflowClient",
    "MlflowException",
    "active_run",
    "autolog",
    "create_experiment",
    "delete_experiment",
    "delete_experiment_tag",
    "disable_system_metrics_logging",
    "enable_system_metrics_logging",
    "flush_async_logging",
    "delete_run",
    "delete_tag",
    "end_run",
    "entities",
    "errors",
    "get_experiment",
    "get_experiment_by_name",
    "get_parent_run",
    "get_run",
    "get_artifact_uri",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "get_registry_uri",
    "last_active_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_inputs",
    "log_table",
    "load_table",
    "log_text",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "register_model",
    "search_experiments",
    "search_model_versions",
    "search_registered_models",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_model_version_tag",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "set_registry_uri",
    "start_run",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"litetrack.{name}")
    target = _LAZY_ATTRS.get(name)
    if target is not None:
        return getattr(importlib.import_module(target), name)
    why = _NOT_IMPLEMENTED.get(name)
    if why is not None:
        raise AttributeError(
            f"litetrack does not implement mlflow.{name}: {why} "
            "(docs/mlflow-compat.md lists what `import litetrack as mlflow` keeps)"
        )
    raise AttributeError(f"module 'litetrack' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY_SUBMODULES | set(_LAZY_ATTRS))
