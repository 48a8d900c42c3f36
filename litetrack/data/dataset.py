"""MLflow's ``mlflow.data.dataset`` path: the ``Dataset`` base class."""

from litetrack.data import Dataset

__all__ = ["Dataset"]
