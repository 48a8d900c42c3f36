"""The generic model interface: load any flavour and ``predict`` on a pandas DataFrame.

``litetrack.pyfunc.load_model(uri)`` returns a :class:`PyFuncModel` for a
model of any flavour (sklearn, xgboost, pickle, custom :class:`PythonModel`,
and MLflow-written sklearn/xgboost models). Its ``predict(data)`` enforces
the model's signature (MLflow's rules: missing columns raise, safe type
conversions happen, extra columns are ignored) and calls the flavour.

``log_model(name=..., python_model=..., artifacts={...})`` / ``save_model``
store custom models (see :mod:`litetrack.pyfunc.model`).

**Loading a model runs code chosen by whoever saved it** (pickles, custom
classes, loader modules): load models only from sources you trust. Files are
checked against the digests recorded at save time before they are used.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from typing import Any

from litetrack.errors import InvalidArgument, InvalidState
from litetrack.models.base import ModelDir, log_model_folder, open_model
from litetrack.models.enforce import enforce_schema
from litetrack.models.envfiles import CONDA_FILE, REQUIREMENTS_FILE
from litetrack.models.model import PYFUNC, Model, ModelInfo
from litetrack.models.signature import ModelSignature
from litetrack.pyfunc.model import PythonModel, PythonModelContext, save_python_model

__all__ = [
    "FLAVOR_NAME",
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "get_model_dependencies",
    "load_model",
    "log_model",
    "save_model",
    "spark_udf",
]

FLAVOR_NAME = PYFUNC

# Loader modules MLflow writes, and the litetrack module that loads the same files.
_LOADER_ALIASES = {
    "mlflow.sklearn": "litetrack.sklearn",
    "mlflow.xgboost": "litetrack.xgboost",
    "mlflow.pyfunc.model": "litetrack.pyfunc.model",
}


class PyFuncModel:
    """A loaded model of any flavour: ``predict(data, params=None)``, ``metadata``."""

    def __init__(
        self, model_meta: Model, model_impl: Any, model_dir: ModelDir | None = None
    ) -> None:
        self._model_meta = model_meta
        self._model_impl = model_impl
        self._model_dir = model_dir
        self._input_schema = model_meta.get_input_schema()

    @property
    def metadata(self) -> Model:
        """The model's descriptor (``MLmodel``): flavours, signature, run id ..."""
        return self._model_meta

    @property
    def loader_module(self) -> str | None:
        return self._model_meta.loader_module

    @property
    def model_config(self) -> dict[str, Any]:
        context = getattr(self._model_impl, "context", None)
        return dict(getattr(context, "model_config", None) or {})

    def _params(self, params: dict[str, Any] | None) -> dict[str, Any] | None:
        schema = self._model_meta.get_params_schema()
        if schema is None:
            return params
        out = {p.name: p.default for p in schema.params}
        for key, value in (params or {}).items():
            if key not in out:
                import logging

                logging.getLogger(__name__).warning(
                    "ignoring param %r: not in the model signature", key
                )
                continue
            out[key] = value
        return out

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """Predictions for ``data``: a pandas DataFrame, or what the flavour accepts.

        With a signature, the input is checked and converted first; a missing
        column or an unsafe type conversion raises
        :class:`~litetrack.errors.InvalidArgument` naming the column(s).
        xgboost and sklearn models also take numpy arrays and scipy sparse
        matrices; custom models get whatever they are given (a DataFrame when
        the signature is column-based).
        """
        if self._input_schema is not None:
            data = enforce_schema(data, self._input_schema)
        return self._model_impl.predict(data, params=self._params(params))

    def unwrap_python_model(self) -> Any:
        """The :class:`PythonModel` instance of a custom model (InvalidState for other flavours)."""
        python_model = getattr(self._model_impl, "python_model", None)
        if python_model is None:
            raise InvalidState(
                "unwrap_python_model() is for custom PythonModel models; this model's loader is "
                f"{self.loader_module!r} (use get_raw_model())"
            )
        return python_model

    def get_raw_model(self) -> Any:
        """The flavour's own model object (Booster, estimator, PythonModel ...)."""
        unwrap = getattr(self._model_impl, "unwrap", None)
        return unwrap() if unwrap is not None else self._model_impl

    def __repr__(self) -> str:
        m = self._model_meta
        lines = ["litetrack.pyfunc.loaded_model:"]
        if m.artifact_path:
            lines.append(f"  artifact_path: {m.artifact_path}")
        lines.append(f"  flavor: {self.loader_module}")
        if m.run_id:
            lines.append(f"  run_id: {m.run_id}")
        return "\n".join(lines)


def load_model(
    model_uri: str | os.PathLike[str],
    suppress_warnings: bool = False,
    dst_path: str | None = None,
    model_config: dict[str, Any] | None = None,
) -> PyFuncModel:
    """Load a model of any flavour as a :class:`PyFuncModel`.

    ``model_uri``: ``runs:/<run_id>/<path>``, ``models:/<name>/<version>``
    (or ``/<stage>``, ``@alias``), a local folder or ``file://`` URI. Raises
    :class:`~litetrack.errors.ModelNotFound` when there is no model there,
    :class:`~litetrack.errors.ChecksumMismatch` when a file differs from its
    recorded digest, :class:`~litetrack.errors.InvalidArgument` when the
    model has no ``python_function`` flavour.
    """
    import warnings

    md = open_model(model_uri)
    conf = md.flavor(PYFUNC)
    loader = str(conf.get("loader_module") or "")
    loader = _LOADER_ALIASES.get(loader, loader)
    if not loader:
        raise InvalidArgument(
            f"The model at {md.uri} names no loader_module in its python_function flavour"
        )
    md.add_code_to_path(conf)
    with warnings.catch_warnings():
        if suppress_warnings:
            warnings.simplefilter("ignore")
        module = importlib.import_module(loader)
        if loader.startswith("litetrack."):
            if loader == "litetrack.pyfunc.model":
                impl = module._load_pyfunc(md, model_config)
            else:
                impl = module._load_pyfunc(md)
        else:
            # A user's loader module (MLflow's loader_module/data_path workflow).
            data = conf.get("data")
            if data:
                md.verify(str(data))
            impl = module._load_pyfunc(str(md.path / data) if data else str(md.path))
    return PyFuncModel(md.model, impl, md)


def save_model(
    path: str | os.PathLike[str],
    loader_module: str | None = None,
    data_path: str | os.PathLike[str] | None = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    conda_env: Any = None,
    python_model: Any = None,
    artifacts: dict[str, Any] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    metadata: dict[str, Any] | None = None,
    model_config: dict[str, Any] | None = None,
    *,
    _run_id: str | None = None,
    _artifact_path: str | None = None,
    **_: Any,
) -> Model:
    """Save a custom model folder at ``path``.

    Either ``python_model`` (a :class:`PythonModel` instance, or a function
    of the input) with ``artifacts`` (name -> local path or ``runs:/`` /
    ``models:/`` URI, copied into the model), or ``loader_module`` (a module
    with ``_load_pyfunc(data_path)``) with ``data_path``. ``code_paths`` are
    copied into ``code/`` and put on ``sys.path`` at load time. Requirements
    are cloudpickle plus every module the pickles (the model and pickled
    artifacts) refer to or import. Raises
    :class:`~litetrack.errors.AlreadyExists` when ``path`` is not empty.
    """
    return save_python_model(
        path,
        python_model=python_model,
        artifacts=artifacts,
        loader_module=loader_module,
        data_path=data_path,
        model_config=model_config,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        conda_env=conda_env,
        code_paths=code_paths,
        metadata=metadata,
        run_id=_run_id,
        artifact_path=_artifact_path,
    )


def log_model(
    artifact_path: str | None = None,
    loader_module: str | None = None,
    data_path: str | os.PathLike[str] | None = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    conda_env: Any = None,
    python_model: Any = None,
    artifacts: dict[str, Any] | None = None,
    registered_model_name: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    metadata: dict[str, Any] | None = None,
    model_config: dict[str, Any] | None = None,
    name: str | None = None,
    **_: Any,
) -> ModelInfo:
    """Log a custom model (see :func:`save_model`) to the active run; return its ModelInfo."""
    return log_model_folder(
        lambda folder, run_id, path: save_model(
            folder,
            loader_module,
            data_path,
            code_paths,
            conda_env,
            python_model,
            artifacts,
            signature,
            input_example,
            pip_requirements,
            extra_pip_requirements,
            metadata,
            model_config,
            _run_id=run_id,
            _artifact_path=path,
        ),
        artifact_path,
        name,
        registered_model_name,
    )


def get_model_dependencies(model_uri: str | os.PathLike[str], format: str = "pip") -> str:
    """Local path of the model's ``requirements.txt`` (``format="pip"``) or ``conda.yaml``."""
    if format not in ("pip", "conda"):
        raise InvalidArgument(f"format must be 'pip' or 'conda', got {format!r}")
    md = open_model(model_uri)
    return str(md.path / (REQUIREMENTS_FILE if format == "pip" else CONDA_FILE))


def __getattr__(name: str) -> Any:
    if name == "spark_udf":
        # Scoring Spark DataFrames lives in litetrack.spark (MLflow's name is here).
        from litetrack.spark import spark_udf

        return spark_udf
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
