"""Model format, signatures, flavours' shared machinery and environments of saved models.

Public names (MLflow's ``mlflow.models``): :class:`Model` (the ``MLmodel``
descriptor), :class:`ModelInfo`, :class:`ModelSignature`,
:func:`infer_signature`, :func:`get_model_info`, and :func:`model_folder`
(a model URI -> local folder). Flavours live in :mod:`litetrack.sklearn`,
:mod:`litetrack.xgboost`, :mod:`litetrack.pyfunc` and
:mod:`litetrack.models.pickled`; see ``docs/models.md``.

Everything is imported on first use: ``import litetrack.models`` stays light.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

__all__ = [
    "Model",
    "ModelInfo",
    "ModelSignature",
    "get_model_info",
    "infer_signature",
    "model_folder",
]

_LAZY = {
    "Model": "litetrack.models.model",
    "ModelInfo": "litetrack.models.model",
    "ModelSignature": "litetrack.models.signature",
    "infer_signature": "litetrack.models.signature",
    "model_folder": "litetrack.models.uri",
}
_SUBMODULES = {
    "autolog",
    "base",
    "enforce",
    "envfiles",
    "input_example",
    "model",
    "pickled",
    "requirements",
    "signature",
    "uri",
}


def get_model_info(model_uri: str | os.PathLike[str]) -> Any:
    """The :class:`ModelInfo` of the model at ``model_uri`` (its descriptor, nothing loaded)."""
    # Here, not at the top: importing any litetrack.models submodule runs this
    # package first, and base pulls in the whole save/log machinery.
    from litetrack.models.base import open_model
    from litetrack.models.model import ModelInfo

    md = open_model(model_uri)
    return ModelInfo(md.model, md.uri)


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is not None:
        return getattr(importlib.import_module(target), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)
