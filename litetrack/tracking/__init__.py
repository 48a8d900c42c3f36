"""``litetrack.tracking.MlflowClient``: MLflow's import path for the client."""

from litetrack.client import Client
from litetrack.client import Client as MlflowClient
from litetrack.store.location import get_tracking_uri, set_tracking_uri

__all__ = ["Client", "MlflowClient", "get_tracking_uri", "set_tracking_uri"]
