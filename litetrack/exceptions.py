"""``litetrack.exceptions``: MLflow's import path for the base exception."""

from litetrack.errors import *  # noqa: F403
from litetrack.errors import LitetrackError, MlflowException

__all__ = ["LitetrackError", "MlflowException"]
