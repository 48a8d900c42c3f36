"""Schema types of model signatures, under MLflow's ``mlflow.types`` names.

``litetrack.types.Schema``, ``ColSpec``, ``TensorSpec``, ``DataType``,
``ParamSchema``, ``ParamSpec``: the same classes as
:mod:`litetrack.models.signature` (imported from there).
"""

from __future__ import annotations

from litetrack.models.signature import ColSpec, DataType, ParamSchema, ParamSpec, Schema, TensorSpec

__all__ = ["ColSpec", "DataType", "ParamSchema", "ParamSpec", "Schema", "TensorSpec"]
