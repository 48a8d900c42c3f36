"""The model registry: named models, numbered versions, stages, aliases, history.

Public functions (MLflow's fluent names where MLflow has one):

* :func:`register_model` (``litetrack.register_model``),
  :func:`search_registered_models`, :func:`search_model_versions`,
  :func:`set_model_version_tag`;
* :func:`resolve_model_uri` for loaders: ``models:/`` URI -> (store, files);
* :func:`referenced_digests` for gc: every blob a registered version pins;
* :func:`parse_model_uri`.

The ``Client`` methods live in :mod:`litetrack.registry.client`. This package
is the API layer only: the registry's storage (the on-disk layout and its
crash-safety argument, pinning, resolution) is :mod:`litetrack.store.registry`,
reached from a store as ``store.registry``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from litetrack.entities import ModelVersion, RegisteredModel
from litetrack.store.core import Store, current_store
from litetrack.store.registry.limits import MODELS_MAX_RESULTS, VERSIONS_MAX_RESULTS
from litetrack.store.registry.uris import ModelRef
from litetrack.store.registry.uris import parse_model_uri as _parse_model_uri

if TYPE_CHECKING:
    from litetrack.store.registry.store import RegistryStore

__all__ = [
    "register_model",
    "set_model_version_tag",
    "search_registered_models",
    "search_model_versions",
    "resolve_model_uri",
    "referenced_digests",
    "parse_model_uri",
    "registry_of",
]


def registry_of(store: Store | None = None) -> RegistryStore:
    """The :class:`~litetrack.store.registry.store.RegistryStore` of ``store`` (the current store by default)."""
    return (store if store is not None else current_store()).registry


def register_model(
    model_uri: str | os.PathLike[str],
    name: str,
    await_registration_for: int = 300,
    *,
    tags: dict[str, Any] | None = None,
    store: Store | None = None,
) -> ModelVersion:
    """Register the model at ``model_uri`` as the next version of ``name``; return the version.

    ``model_uri`` is ``runs:/<run_id>/<path>``, a ``models:/`` URI or a local
    folder. The registered model is created if missing. The model's files are
    pinned by digest: the version keeps loading after its run is deleted and
    garbage-collected. ``await_registration_for`` is accepted for MLflow
    compatibility (registration is synchronous). ``tags`` go on the version.

    Raises ``InvalidArgument``/``InvalidName`` for bad input, ``RunNotFound``,
    ``ModelNotFound`` (nothing at the source), ``UnsupportedURI``.
    """
    st = store if store is not None else current_store()
    return st.registry.register(model_uri, name, tags=tags, create_model=True)


def set_model_version_tag(
    name: str,
    version: int | str | None = None,
    key: str | None = None,
    value: Any = None,
    *,
    store: Store | None = None,
) -> None:
    """Set tag ``key`` to ``value`` on version ``version`` of ``name`` (MLflow's fluent call)."""
    from litetrack.errors import InvalidArgument

    if version is None:
        raise InvalidArgument(f"set_model_version_tag({name!r}): pass the version to tag")
    from litetrack.registry.client import version_of

    st = store if store is not None else current_store()
    with version_of(name, version):
        st.registry.set_version_tag(name, version, key, value)


def search_registered_models(
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: list[str] | None = None,
    page_token: str | None = None,
    *,
    store: Store | None = None,
) -> list[RegisteredModel]:
    """Registered models matching ``filter_string`` (``name LIKE '%taxi%'``, ``tags.team = 'ml'``).

    With ``max_results=None`` every match is returned, page by page (as MLflow's fluent call).
    """
    reg = registry_of(store)
    if max_results is not None:
        return reg.search_models(filter_string, max_results, order_by, page_token)
    found: list[RegisteredModel] = []
    while True:
        batch = reg.search_models(filter_string, MODELS_MAX_RESULTS, order_by, page_token)
        found.extend(batch)
        if not batch.token:
            return found
        page_token = batch.token


def search_model_versions(
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: list[str] | None = None,
    page_token: str | None = None,
    *,
    store: Store | None = None,
) -> list[ModelVersion]:
    """Model versions matching ``filter_string`` (``name = 'taxi'``, ``run_id = '...'``, ``tags.k = 'v'``).

    With ``max_results=None`` every match is returned, page by page (as MLflow's fluent call).
    """
    reg = registry_of(store)
    if max_results is not None:
        return reg.search_versions(filter_string, max_results, order_by, page_token)
    found: list[ModelVersion] = []
    while True:
        batch = reg.search_versions(filter_string, VERSIONS_MAX_RESULTS, order_by, page_token)
        found.extend(batch)
        if not batch.token:
            return found
        page_token = batch.token


def parse_model_uri(uri: str) -> ModelRef:
    """Parse ``models:/NAME/VERSION|STAGE|latest`` or ``models:/NAME@ALIAS`` into a ``ModelRef``."""
    return _parse_model_uri(uri)


def resolve_model_uri(
    uri: str, store: Store | None = None
) -> tuple[Store, dict[str, dict[str, Any]]]:
    """The store and files of the model a ``models:/`` (or ``runs:/``) URI names.

    Files are ``{relative path: {"digest", "size"}}``, relative to the model
    folder; pass them to :func:`litetrack.store.artifacts.materialize` for a
    cached local folder. Raises ``InvalidArgument`` (malformed URI, unknown
    stage, listing the valid forms), ``RegisteredModelNotFound``,
    ``ModelVersionNotFound`` (no such version, no version in that stage, no
    such alias: each says what exists), ``CorruptDocument`` naming the file.
    """
    st = store if store is not None else current_store()
    return st, st.registry.resolve_files(uri)


def referenced_digests(store: Store | None = None) -> set[str]:
    """Digests of every blob pinned by a live registered model version (gc roots).

    Deleted versions are not roots (MLflow deletes versions for good). A
    damaged version document contributes every digest-like string in it.
    """
    return registry_of(store).referenced_digests()
