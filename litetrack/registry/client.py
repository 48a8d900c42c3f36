"""Registry operations of :class:`litetrack.Client` (a mixin, so client.py stays small)."""

from __future__ import annotations


class RegistryClientMixin:
    """``Client`` methods for the model registry (MLflow's names)."""
