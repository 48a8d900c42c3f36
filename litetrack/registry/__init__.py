"""The model registry: named models, numbered versions, stages, aliases, history.

Public functions (MLflow's fluent names where MLflow has one):

* :func:`register_model` (``litetrack.register_model``),
  :func:`search_registered_models`, :func:`search_model_versions`;
* :func:`resolve_model_uri` for loaders: ``models:/`` URI -> (store, files);
* :func:`referenced_digests` for gc: every blob a registered version pins;
* :func:`check_documents` for verify: every damaged registry document;
* :func:`parse_model_uri`.

The ``Client`` methods live in :mod:`litetrack.registry.client`; the
on-disk layout and its crash-safety argument in :mod:`litetrack.registry.store`.

This package is imported by ``import litetrack`` (the client mixin), so its
top level imports nothing: each function imports what it uses.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from litetrack.registry.entities import ModelVersion, RegisteredModel
    from litetrack.registry.uris import ModelRef
    from litetrack.store.core import Store

__all__ = [
    "register_model",
    "search_registered_models",
    "search_model_versions",
    "resolve_model_uri",
    "referenced_digests",
    "check_documents",
    "parse_model_uri",
    "registry_of",
]


def _current_store() -> Store:
    from litetrack.store.core import get_store
    from litetrack.store.location import current_store_path

    return get_store(current_store_path())


def registry_of(store: Store | None = None) -> Any:
    """The :class:`~litetrack.registry.store.RegistryStore` of ``store`` (the current store by default)."""
    from litetrack.registry.store import registry_for

    return registry_for(store if store is not None else _current_store())


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
    from litetrack.registry.pinning import pin_source

    reg = registry_of(store)
    source = os.fspath(model_uri) if isinstance(model_uri, os.PathLike) else model_uri
    # Check the name before copying anything into the object store.
    from litetrack.registry.store import validate_model_name, validate_tags

    validate_model_name(name)
    validate_tags(tags)
    files, run_id = pin_source(reg.store, source)
    return reg.create_version(name, source, files, run_id=run_id, tags=tags, create_model=True)  # type: ignore[no-any-return]


def search_registered_models(
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: list[str] | None = None,
    page_token: str | None = None,
    *,
    store: Store | None = None,
) -> list[RegisteredModel]:
    """Registered models matching ``filter_string`` (``name LIKE '%taxi%'``, ``tags.team = 'ml'``)."""
    from litetrack.registry.client import search_models

    return search_models(registry_of(store), filter_string, max_results, order_by, page_token)


def search_model_versions(
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: list[str] | None = None,
    page_token: str | None = None,
    *,
    store: Store | None = None,
) -> list[ModelVersion]:
    """Model versions matching ``filter_string`` (``name = 'taxi'``, ``run_id = '...'``, ``tags.k = 'v'``)."""
    from litetrack.registry.client import search_versions

    return search_versions(registry_of(store), filter_string, max_results, order_by, page_token)


def parse_model_uri(uri: str) -> ModelRef:
    """Parse ``models:/NAME/VERSION|STAGE|latest`` or ``models:/NAME@ALIAS`` into a ``ModelRef``."""
    from litetrack.registry.uris import parse_model_uri as parse

    return parse(uri)


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
    st = store if store is not None else _current_store()
    if isinstance(uri, str) and uri.startswith("runs:/"):
        from litetrack.registry.pinning import _from_run

        files, _ = _from_run(st, uri, action="load")
        return st, files
    from litetrack.errors import ModelVersionNotFound
    from litetrack.registry.store import registry_for
    from litetrack.registry.uris import parse_model_uri as parse

    ref = parse(uri)
    reg = registry_for(st)
    for attempt in range(3):
        try:
            _, _, vdoc = reg.resolve(ref)
            return st, dict(vdoc["files"])
        except ModelVersionNotFound:
            # A version deleted between reading model.json and reading its
            # document: read the pointers again (they no longer name it).
            if ref.kind == "version" or attempt == 2:
                raise
    raise AssertionError("unreachable")


def referenced_digests(store: Store | None = None) -> set[str]:
    """Digests of every blob pinned by a live registered model version (gc roots).

    Deleted versions are not roots (MLflow deletes versions for good). A
    damaged version document contributes every digest-like string in it.
    """
    return registry_of(store).referenced_digests()  # type: ignore[no-any-return]


def check_documents(store: Store | None = None) -> list[tuple[str, str]]:
    """(path, problem) for every registry document that cannot be read or does not add up.

    Checks every ``model.json`` and ``versions/<n>.json`` (parsed and
    validated), a ``model.json`` next to every versions folder, and that the
    stages and aliases of a model name versions that exist and are live. Used
    by ``verify``; reads only.
    """
    from litetrack.errors import CorruptDocument
    from litetrack.registry import docs
    from litetrack.registry.reader import VERSIONS_DIR

    reg = registry_of(store)
    problems: list[tuple[str, str]] = []
    try:
        keys = sorted(
            e.name for e in os.scandir(reg.dir) if e.is_dir() and not e.name.startswith(".")
        )
    except FileNotFoundError:
        return problems
    for key in keys:
        live: set[int] = set()
        numbers: set[int] = set()
        vdir = os.path.join(reg.dir, key, VERSIONS_DIR)
        try:
            names = sorted(os.listdir(vdir))
        except (FileNotFoundError, NotADirectoryError):
            names = []
        for n in names:
            if not n.endswith(".json") or n.startswith("."):
                continue
            path = os.path.join(vdir, n)
            try:
                vdoc = docs.read_version_doc(path)
            except FileNotFoundError:
                continue
            except CorruptDocument as e:
                problems.append((path, str(e)))
                continue
            numbers.add(vdoc["version"])
            if not vdoc.get("deleted"):
                live.add(vdoc["version"])
        mpath = reg.model_path(key)
        try:
            mdoc = docs.read_model_doc(mpath)
        except (FileNotFoundError, NotADirectoryError):
            if numbers:
                problems.append((
                    mpath,
                    f"missing: {len(numbers)} version document(s) in {vdir} but no model.json "
                    "(a crash during a registration or an import; re-run the import)",
                ))
            continue
        except CorruptDocument as e:
            problems.append((mpath, str(e)))
            continue
        for stage, members in mdoc["stages"].items():
            for v in members:
                if int(v) not in live:
                    problems.append((mpath, f"stage {stage} names version {v}, which is "
                                            f"{'deleted' if int(v) in numbers else 'missing'}"))
        for alias, v in mdoc["aliases"].items():
            if v not in live:
                problems.append((mpath, f"alias {alias!r} names version {v}, which is "
                                        f"{'deleted' if v in numbers else 'missing'}"))
    return problems
