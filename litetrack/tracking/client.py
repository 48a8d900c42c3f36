"""MLflow's ``mlflow.tracking.client`` path: ``MlflowClient``."""

from litetrack.client import Client
from litetrack.client import Client as MlflowClient

__all__ = ["Client", "MlflowClient"]
