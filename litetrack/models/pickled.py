"""The pickle flavour: any Python object, saved with cloudpickle.

scikit-learn estimators, ``DictVectorizer``, scalers, pipelines, and plain
functions or classes defined in ``__main__`` or a notebook (cloudpickle saves
those by value). :mod:`litetrack.sklearn` is this flavour with an ``sklearn``
section MLflow's ``mlflow.sklearn.load_model`` reads.

**Loading a pickle runs code chosen by whoever wrote it.** Load models only
from people and stores you trust. litetrack checks the pickle against the
SHA-256 recorded when the model was saved (and, for ``runs:/`` and
``models:/`` URIs, against the run's artifact record) before unpickling it,
so a file changed afterwards is refused, but a model written by an untrusted
person is as dangerous as their code.

Usage::

    info = litetrack.models.pickled.log_model(my_function, name="model")
    f = litetrack.models.pickled.load_model(info.model_uri)
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from litetrack.errors import InvalidArgument
from litetrack.models.base import ModelDir, log_flavor_model, open_model, save_model_folder
from litetrack.models.model import PYFUNC, Model, ModelInfo
from litetrack.models.signature import ModelSignature

__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "cloudpickle"
PICKLE_FILE = "model.pkl"
_LOADER = "litetrack.models.pickled"


def predict_fn_name(obj: Any) -> str | None:
    """The method pyfunc calls: ``predict``, else ``transform``, else ``__call__`` (None: none)."""
    for name in ("predict", "transform"):
        if callable(getattr(obj, name, None)):
            return name
    return "__call__" if callable(obj) else None


def _call(obj: Any, fn: str | None, data: Any) -> Any:
    if fn is None:
        raise InvalidArgument(
            f"{type(obj).__name__} has no predict or transform method and is not callable: "
            "it can be loaded with load_model but not used through pyfunc"
        )
    if fn != "__call__" and type(obj).__name__ in ("DictVectorizer", "FeatureHasher"):
        import pandas as pd

        # They take an iterable of mappings; a DataFrame would iterate its column names.
        if isinstance(data, pd.DataFrame):
            data = data.to_dict(orient="records")
    return obj(data) if fn == "__call__" else getattr(obj, fn)(data)


def save_pickled(
    obj: Any,
    path: str | os.PathLike[str],
    *,
    flavor_name: str,
    flavor_conf: dict[str, Any],
    loader_module: str,
    flavor_packages: Sequence[str],
    versions_of: Sequence[str],
    predict_fn: str | None = None,
    **options: Any,
) -> Model:
    """Save ``obj`` with cloudpickle as ``model.pkl`` in a model folder (see save_model_folder).

    ``predict_fn`` is the method pyfunc calls (default: predict, else
    transform, else the object itself when callable).
    """
    import cloudpickle

    fn = predict_fn or predict_fn_name(obj)

    def write(folder: Path) -> None:
        with open(folder / PICKLE_FILE, "wb") as f:
            cloudpickle.dump(obj, f, protocol=pickle.DEFAULT_PROTOCOL)

    conf = {
        "pickled_model": PICKLE_FILE,
        "serialization_format": "cloudpickle",
        **flavor_conf,
    }
    return save_model_folder(
        path,
        flavor_name=flavor_name,
        flavor_conf=conf,
        loader_module=loader_module,
        write_files=write,
        pyfunc_conf={"model_path": PICKLE_FILE, "predict_fn": fn},
        flavor_packages=flavor_packages,
        pickles=[PICKLE_FILE],
        versions_of=versions_of,
        predict_for_signature=(lambda _folder, example: _call(obj, fn, example)) if fn else None,
        **options,
    )


def load_pickled(md: ModelDir, flavor_name: str) -> Any:
    """Unpickle a model folder's pickle after checking its digest."""
    conf = md.model.flavors.get(flavor_name)
    if not isinstance(conf, dict):
        conf = md.flavor(PYFUNC)  # raises with the flavours the model has when absent too
        rel = conf.get("model_path")
    else:
        rel = conf.get("pickled_model") or (md.model.flavors.get(PYFUNC) or {}).get("model_path")
    if not rel:
        raise InvalidArgument(
            f"The model at {md.uri} names no pickle file in its {flavor_name!r} flavour"
        )
    fmt = conf.get("serialization_format", "cloudpickle")
    if fmt not in ("cloudpickle", "pickle"):
        raise InvalidArgument(
            f"The model at {md.uri} was serialised with {fmt!r}; "
            "litetrack loads cloudpickle and pickle"
        )
    md.warn_versions(("python", "cloudpickle"))
    md.add_code_to_path(conf)
    raw = md.read(str(rel))
    return pickle.loads(raw)


class PickledPyfunc:
    """pyfunc wrapper of an unpickled object: ``predict(data)`` calls its predict_fn."""

    def __init__(self, obj: Any, predict_fn: str | None) -> None:
        self.obj = obj
        self.predict_fn = (
            predict_fn
            if predict_fn and (predict_fn == "__call__" or hasattr(obj, predict_fn))
            else predict_fn_name(obj)
        )

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return _call(self.obj, self.predict_fn, data)

    def unwrap(self) -> Any:
        return self.obj


def pyfunc_for(md: ModelDir, flavor_name: str) -> PickledPyfunc:
    """The pyfunc implementation of a pickled model folder."""
    obj = load_pickled(md, flavor_name)
    return PickledPyfunc(obj, (md.model.flavors.get(PYFUNC) or {}).get("predict_fn"))


# --------------------------------------------------------------------------
# The generic flavour
# --------------------------------------------------------------------------


def save_model(
    obj: Any,
    path: str | os.PathLike[str],
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    *,
    conda_env: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    metadata: dict[str, Any] | None = None,
    _run_id: str | None = None,
    _artifact_path: str | None = None,
) -> Model:
    """Save any picklable object as a model folder at ``path`` (cloudpickle).

    Requirements are cloudpickle plus the installed distributions of every
    module the pickle refers to. Raises
    :class:`~litetrack.errors.AlreadyExists` when ``path`` is not empty.
    """
    return save_pickled(
        obj,
        path,
        flavor_name=FLAVOR_NAME,
        flavor_conf={"python_class": f"{type(obj).__module__}.{type(obj).__qualname__}"},
        loader_module=_LOADER,
        flavor_packages=["cloudpickle"],
        versions_of=["cloudpickle"],
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
    obj: Any,
    artifact_path: str | None = None,
    name: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    registered_model_name: str | None = None,
    **options: Any,
) -> ModelInfo:
    """Log any picklable object as a model of the active run (one is started if none).

    Returns a :class:`~litetrack.models.model.ModelInfo`; ``info.model_uri``
    is ``runs:/<run_id>/<artifact_path or name or "model">``.
    """
    return log_flavor_model(
        save_model, obj, artifact_path, name, signature, input_example,
        pip_requirements, extra_pip_requirements, registered_model_name, options,
    )


def load_model(model_uri: str | os.PathLike[str], dst_path: str | None = None) -> Any:
    """The object saved at ``model_uri`` (its pickle verified first; see the module doc)."""
    return load_pickled(open_model(model_uri), FLAVOR_NAME)


def _load_pyfunc(md: ModelDir) -> PickledPyfunc:
    return pyfunc_for(md, FLAVOR_NAME)
