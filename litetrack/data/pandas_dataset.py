"""MLflow's ``mlflow.data.pandas_dataset`` path: ``PandasDataset`` and ``from_pandas``."""

from litetrack.data import Dataset, PandasDataset, from_pandas

__all__ = ["Dataset", "PandasDataset", "from_pandas"]
