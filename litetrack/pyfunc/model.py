"""Custom pyfunc models: a :class:`PythonModel` class plus artifacts, saved as one model.

A preprocessor and a booster can ship as one pipeline that predicts on raw
records::

    class Pipeline(litetrack.pyfunc.PythonModel):
        def load_context(self, context):
            import pickle, xgboost
            with open(context.artifacts["dv"], "rb") as f:
                self.dv = pickle.load(f)
            self.booster = xgboost.Booster(model_file=context.artifacts["booster"])

        def predict(self, context, model_input, params=None):
            if hasattr(model_input, "to_dict"):  # a DataFrame
                model_input = model_input.to_dict("records")
            return self.booster.predict(xgboost.DMatrix(self.dv.transform(model_input)))

    litetrack.pyfunc.log_model(name="model", python_model=Pipeline(),
                               artifacts={"dv": "dv.pkl", "booster": "booster.ubj"})

The ``PythonModel`` instance is saved with cloudpickle as
``python_model.pkl``; artifacts are copied into ``artifacts/`` and verified
against their recorded digests before ``load_context`` sees them.
"""

from __future__ import annotations

import inspect
import os
import pickle
import shutil
from pathlib import Path
from typing import Any

from litetrack.errors import InvalidArgument
from litetrack.models.base import ModelDir, is_pickle_file, save_model_folder
from litetrack.models.model import PYFUNC, Model
from litetrack.models.requirements import _dist_version
from litetrack.models.signature import ModelSignature
from litetrack.models.uri import model_folder
from litetrack.store import artifacts as store_artifacts
from litetrack.store.core import current_store
from litetrack.store.location import file_uri_path

__all__ = ["PythonModel", "PythonModelContext", "save_python_model"]

PYTHON_MODEL_FILE = "python_model.pkl"
ARTIFACTS_DIR = "artifacts"
DATA_DIR = "data"
LOADER = "litetrack.pyfunc.model"


class PythonModelContext:
    """What ``load_context`` and ``predict`` receive: local paths of the artifacts, the config."""

    def __init__(
        self, artifacts: dict[str, str], model_config: dict[str, Any] | None = None
    ) -> None:
        self._artifacts = artifacts
        self._model_config = model_config or {}

    @property
    def artifacts(self) -> dict[str, str]:
        """Artifact name -> absolute local path (a file or a folder)."""
        return self._artifacts

    @property
    def model_config(self) -> dict[str, Any]:
        """The ``model_config`` given at save time (overridable at load time)."""
        return self._model_config


class PythonModel:
    """Base class of custom models: override ``predict`` (and ``load_context`` if needed).

    ``predict(self, context, model_input, params=None)`` as in MLflow 2; the
    context may be left out (``predict(self, model_input, params=None)``).
    """

    def load_context(self, context: PythonModelContext) -> None:
        """Load what ``predict`` needs from ``context.artifacts`` (called once, at load time)."""

    def predict(
        self, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None = None
    ) -> Any:
        """Return predictions for ``model_input``."""
        raise NotImplementedError("PythonModel subclasses must implement predict")


class _FunctionPythonModel(PythonModel):
    """A plain function given as ``python_model``: ``predict`` calls it on the input."""

    def __init__(self, func: Any) -> None:
        self.func = func

    def predict(
        self, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None = None
    ) -> Any:
        return self.func(model_input)


def _predict_style(model: Any) -> tuple[bool, bool]:
    """(passes context, accepts params) for the model's ``predict``."""
    try:
        sig = inspect.signature(model.predict)
    except (TypeError, ValueError):
        return True, True
    params = list(sig.parameters.values())
    var_kw = any(p.kind is p.VAR_KEYWORD for p in params)
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    names = [p.name for p in positional]
    accepts_params = "params" in sig.parameters or var_kw
    if names and names[0] == "context":
        return True, accepts_params
    non_params = [n for n in names if n != "params"]
    return len(non_params) >= 2, accepts_params


class PythonModelPyfunc:
    """pyfunc implementation around a loaded :class:`PythonModel`."""

    def __init__(self, python_model: Any, context: PythonModelContext) -> None:
        self.python_model = python_model
        self.context = context
        self._with_context, self._with_params = _predict_style(python_model)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        args: list[Any] = [self.context, data] if self._with_context else [data]
        if self._with_params:
            return self.python_model.predict(*args, params=params)
        return self.python_model.predict(*args)

    def unwrap(self) -> Any:
        return self.python_model


def _copy_artifacts(folder: Path, artifacts: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    if not artifacts:
        return {}

    dest = folder / ARTIFACTS_DIR
    dest.mkdir()
    out: dict[str, dict[str, str]] = {}
    used: set[str] = set()
    for name, uri in artifacts.items():
        uri_s = os.fspath(uri)
        if uri_s.startswith("runs:/"):
            run_id, path = store_artifacts.parse_runs_uri(uri_s)
            base = path.rsplit("/", 1)[-1] or name
            src: Path | None = None
        elif uri_s.startswith("models:"):
            src = model_folder(uri_s)
            base = name
        else:
            src = Path(
                file_uri_path(uri_s) if uri_s.startswith("file:") else uri_s
            ).expanduser()
            if not src.exists():
                raise InvalidArgument(f"artifact {name!r}: {src} does not exist")
            base = src.name
        if base in used:
            base = f"{name}-{base}"
        used.add(base)
        target = dest / base
        if src is None:
            store_artifacts.download(current_store(), run_id, path or None, str(target) + ".tmp")
            downloaded = Path(str(target) + ".tmp") / path if path else Path(str(target) + ".tmp")
            downloaded.rename(target)
            shutil.rmtree(str(target) + ".tmp", ignore_errors=True)
        elif src.is_dir():
            shutil.copytree(src, target)
        else:
            shutil.copy2(src, target)
        out[str(name)] = {"path": f"{ARTIFACTS_DIR}/{base}", "uri": uri_s}
    return out


def _pickles_under(folder: Path, rel: str) -> list[str]:
    root = folder / rel
    if root.is_file():
        return [rel] if is_pickle_file(root) else []
    found = []
    for dirpath, _dirs, files in os.walk(root):
        for fname in sorted(files):
            full = Path(dirpath) / fname
            if is_pickle_file(full):
                found.append(full.relative_to(folder).as_posix())
    return found


def save_python_model(
    path: str | os.PathLike[str],
    *,
    python_model: Any = None,
    artifacts: dict[str, Any] | None = None,
    loader_module: str | None = None,
    data_path: str | os.PathLike[str] | None = None,
    model_config: dict[str, Any] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    **options: Any,
) -> Model:
    """Save a custom pyfunc model: a PythonModel (or function) with artifacts, or a loader module.

    See :func:`litetrack.pyfunc.save_model`.
    """
    import cloudpickle

    if (python_model is None) == (loader_module is None):
        raise InvalidArgument(
            "give either python_model (a PythonModel instance or a function) or loader_module "
            "(with data_path), not both and not neither"
        )
    if python_model is not None and not isinstance(python_model, PythonModel):
        if not callable(python_model):
            raise InvalidArgument(
                "python_model must be a PythonModel instance or a function, "
                f"got {type(python_model).__name__}"
            )
        python_model = _FunctionPythonModel(python_model)
    conf: dict[str, Any] = {}
    pickles: list[str] = []

    def write(folder: Path) -> None:
        if python_model is not None:
            with open(folder / PYTHON_MODEL_FILE, "wb") as f:
                cloudpickle.dump(python_model, f, protocol=pickle.DEFAULT_PROTOCOL)
            pickles.append(PYTHON_MODEL_FILE)
            conf["python_model"] = PYTHON_MODEL_FILE
            copied = _copy_artifacts(folder, artifacts)
            if copied:
                conf["artifacts"] = copied
                pickles.extend(_pickles_under(folder, ARTIFACTS_DIR))
        else:
            src = Path(os.fspath(data_path)) if data_path is not None else None
            if src is not None:
                (folder / DATA_DIR).mkdir()
                target = folder / DATA_DIR / src.name
                if src.is_dir():
                    shutil.copytree(src, target)
                else:
                    shutil.copy2(src, target)
                conf["data"] = f"{DATA_DIR}/{src.name}"
                pickles.extend(_pickles_under(folder, conf["data"]))
        if model_config:
            conf["model_config"] = model_config


    version = _dist_version("cloudpickle")

    def predict_example(folder: Path, example: Any) -> Any:
        # Before MLmodel exists: the conf written so far, files trusted (we just wrote them).
        md = ModelDir(folder, str(folder), model=Model(flavors={PYFUNC: dict(conf)}), verify=False)
        return _load_pyfunc(md).predict(example)

    model = save_model_folder(
        path,
        flavor_name=PYFUNC,
        flavor_conf={"cloudpickle_version": version} if python_model is not None else {},
        loader_module=LOADER if python_model is not None else str(loader_module),
        write_files=write,
        pyfunc_conf=conf,
        flavor_packages=["cloudpickle"] if python_model is not None else [],
        pickles=pickles,
        versions_of=["cloudpickle"],
        signature=signature,
        input_example=input_example,
        predict_for_signature=predict_example if python_model is not None else None,
        **options,
    )
    return model


def _load_pyfunc(md: ModelDir, model_config: dict[str, Any] | None = None) -> PythonModelPyfunc:
    """Load a custom pyfunc model folder: verify, unpickle, ``load_context``."""
    conf = md.flavor(PYFUNC)
    md.warn_versions(("python", "cloudpickle"))
    md.add_code_to_path(conf)
    rel = conf.get("python_model") or PYTHON_MODEL_FILE
    artifacts: dict[str, str] = {}
    for name, entry in (conf.get("artifacts") or {}).items():
        art = entry.get("path") if isinstance(entry, dict) else entry
        artifacts[str(name)] = str(md.verify(str(art)))  # checked before user code reads them
    python_model = pickle.loads(md.read(str(rel)))
    config = dict(conf.get("model_config") or {})
    config.update(model_config or {})
    context = PythonModelContext(artifacts, config)
    python_model.load_context(context)
    return PythonModelPyfunc(python_model, context)
