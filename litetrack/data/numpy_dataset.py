"""MLflow's ``mlflow.data.numpy_dataset`` path: ``NumpyDataset`` and ``from_numpy``."""

from litetrack.data import Dataset, NumpyDataset, from_numpy

__all__ = ["Dataset", "NumpyDataset", "from_numpy"]
