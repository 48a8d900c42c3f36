"""MLflow's ``mlflow.types.schema`` path: the schema types of model signatures."""

from litetrack.models.signature import ColSpec, DataType, ParamSchema, ParamSpec, Schema, TensorSpec

__all__ = ["ColSpec", "DataType", "ParamSchema", "ParamSpec", "Schema", "TensorSpec"]
