"""Registry operations of :class:`litetrack.Client` (a mixin, so client.py stays small).

Names, arguments and meaning follow ``MlflowClient``. Beyond MLflow: stage
transitions and alias changes take an optional ``comment`` (kept in the
registry history), and :meth:`RegistryClientMixin.get_registered_model_history`
returns that history.

``import litetrack`` imports this module, so everything heavier than the
standard library is imported inside the methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from litetrack.client import PagedList
    from litetrack.registry.entities import ModelVersion, RegisteredModel
    from litetrack.registry.store import RegistryStore
    from litetrack.store.core import Store

#: MLflow's page-size defaults and limits.
MODELS_DEFAULT_RESULTS, MODELS_MAX_RESULTS = 100, 1000
VERSIONS_DEFAULT_RESULTS, VERSIONS_MAX_RESULTS = 10_000, 200_000


def search_models(
    reg: RegistryStore,
    filter_string: str | None,
    max_results: int | None,
    order_by: list[str] | None,
    page_token: str | None,
) -> PagedList[RegisteredModel]:
    """Registered models matching a filter, ordered (name ASC by default), one page."""
    from litetrack.client import PagedList
    from litetrack.registry import search

    expr = search.parse_model_filter(filter_string)
    keys = search.parse_model_order_by(order_by)
    records = [
        {
            "name": m["name"],
            "creation_timestamp": m["creation_timestamp"],
            "last_updated_timestamp": m["last_updated_timestamp"],
            "tags": m["tags"],
            "_ref": (key, m),
        }
        for key, m in reg.iter_models()
    ]
    found = search.filter_and_sort(records, expr, keys, search.DEFAULT_MODEL_ORDER)
    items, token = search.page(
        found,
        max_results if max_results is not None else MODELS_DEFAULT_RESULTS,
        page_token,
        MODELS_MAX_RESULTS,
    )
    return PagedList([reg.model_entity(*r["_ref"]) for r in items], token)


def _name_equals(expr: Any) -> str | None:
    """The name a filter pins with a top-level ``name = '...'`` (to scan only that model)."""
    from litetrack.query.nodes import And, Compare

    items = expr.items if isinstance(expr, And) else (expr,)
    for item in items:
        if (
            isinstance(item, Compare)
            and item.op == "="
            and item.field.kind == "attribute"
            and item.field.key == "name"
            and isinstance(item.value, str)
        ):
            return item.value
    return None


def search_versions(
    reg: RegistryStore,
    filter_string: str | None,
    max_results: int | None,
    order_by: list[str] | None,
    page_token: str | None,
) -> PagedList[ModelVersion]:
    """Model versions matching a filter, ordered (name ASC, version DESC by default), one page."""
    from litetrack.client import PagedList
    from litetrack.errors import RegisteredModelNotFound
    from litetrack.registry import search
    from litetrack.registry.store import stage_of, version_entity

    expr = search.parse_version_filter(filter_string)
    keys = search.parse_version_order_by(order_by)
    only = _name_equals(expr) if expr is not None else None
    if only is not None:
        try:
            models = [reg.read_model(only)]
        except RegisteredModelNotFound:
            models = []
    else:
        models = list(reg.iter_models())
    records = []
    for key, m in models:
        for v in reg.iter_versions(key):
            entity = version_entity(m, v)
            records.append(
                {
                    "name": m["name"],
                    "version_number": v["version"],
                    "run_id": v.get("run_id"),
                    "source_path": v["source"],
                    "current_stage": stage_of(m, v["version"]),
                    "user_id": v.get("user_id"),
                    "creation_timestamp": v["creation_timestamp"],
                    "last_updated_timestamp": entity.last_updated_timestamp,
                    "tags": v["tags"],
                    "_entity": entity,
                }
            )
    found = search.filter_and_sort(records, expr, keys, search.DEFAULT_VERSION_ORDER)
    items, token = search.page(
        found,
        max_results if max_results is not None else VERSIONS_DEFAULT_RESULTS,
        page_token,
        VERSIONS_MAX_RESULTS,
    )
    return PagedList([r["_entity"] for r in items], token)


class RegistryClientMixin:
    """``Client`` methods for the model registry (MLflow's names)."""

    _store: Store

    @property
    def _registry(self) -> RegistryStore:
        from litetrack.registry.store import registry_for

        return registry_for(self._store)

    # -- registered models ---------------------------------------------------------
    def create_registered_model(
        self,
        name: str,
        tags: dict[str, Any] | None = None,
        description: str | None = None,
        **_: Any,
    ) -> RegisteredModel:
        """Create a registered model; ``AlreadyExists`` if the name is taken."""
        return self._registry.create_model(name, tags, description)

    def get_registered_model(self, name: str) -> RegisteredModel:
        """The registered model called ``name``; ``RegisteredModelNotFound`` lists the existing ones."""
        return self._registry.get_model(name)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a registered model; its versions, stages, aliases and history follow."""
        return self._registry.rename_model(name, new_name)

    def update_registered_model(
        self, name: str, description: str | None = None, **_: Any
    ) -> RegisteredModel:
        """Set the description of a registered model."""
        return self._registry.update_model(name, description)

    def delete_registered_model(self, name: str) -> None:
        """Delete a registered model and every version of it (the history is kept)."""
        self._registry.delete_model(name)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = MODELS_DEFAULT_RESULTS,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        """Registered models matching ``filter_string`` (``name LIKE '%taxi%'``, ``tags.k = 'v'``).

        The list has ``.token`` for the next page (None on the last one).
        """
        return search_models(self._registry, filter_string, max_results, order_by, page_token)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        """Set a tag on a registered model."""
        self._registry.set_model_tag(name, key, value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove a tag from a registered model."""
        self._registry.delete_model_tag(name, key)

    def get_latest_versions(self, name: str, stages: list[str] | None = None) -> list[ModelVersion]:
        """The newest version in each of ``stages`` (every stage when None), as in MLflow."""
        from litetrack.errors import InvalidArgument

        if isinstance(stages, str):
            raise InvalidArgument(
                f"stages must be a list of stage names, not the string {stages!r}"
            )
        reg = self._registry
        key, mdoc = reg.read_model(name)
        return reg.latest_versions(key, mdoc, stages)

    def get_registered_model_history(self, name: str) -> list[dict[str, Any]]:
        """Every recorded change of a registered model, oldest first (beyond MLflow).

        Records have ``time``, ``user``, ``model``, ``version``, ``action``,
        ``from``, ``to`` and ``comment``; deleted models keep their history.
        """
        return self._registry.history(name)

    # -- model versions --------------------------------------------------------------
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: dict[str, Any] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        await_creation_for: int = 300,
        **_: Any,
    ) -> ModelVersion:
        """Register ``source`` as the next version of the existing model ``name``.

        ``source`` is ``runs:/<run_id>/<path>``, a ``models:/`` URI or a local
        folder; its files are pinned by digest.
        """
        from litetrack.registry.pinning import pin_source
        from litetrack.registry.store import validate_model_name, validate_tags

        reg = self._registry
        validate_model_name(name)
        validate_tags(tags)
        reg.read_model(name)  # RegisteredModelNotFound before anything is copied
        files, run_id = pin_source(self._store, source, run_id)
        return reg.create_version(
            name,
            str(source),
            files,
            run_id=run_id,
            tags=tags,
            description=description,
            run_link=run_link,
        )

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        """One version of a registered model."""
        return self._registry.get_version(name, version)

    def update_model_version(
        self, name: str, version: int | str, description: str | None = None
    ) -> ModelVersion:
        """Set the description of a model version."""
        return self._registry.update_version(name, version, description)

    def delete_model_version(self, name: str, version: int | str) -> None:
        """Delete a version (its stage and aliases go with it; its number is not reused)."""
        self._registry.delete_version(name, version)

    def transition_model_version_stage(
        self,
        name: str,
        version: int | str,
        stage: str,
        archive_existing_versions: bool = False,
        *,
        comment: str | None = None,
    ) -> ModelVersion:
        """Move a version to None, Staging, Production or Archived (case-insensitive).

        With ``archive_existing_versions`` (Staging/Production only) the
        versions already in that stage move to Archived in the same atomic
        change. ``comment`` is recorded in the history.
        """
        return self._registry.transition(name, version, stage, archive_existing_versions, comment)

    def get_model_version_stages(self, name: str, version: int | str) -> list[str]:
        """The stages a version can be moved to (all four)."""
        from litetrack.registry.entities import ALL_STAGES

        self._registry.get_version(name, version)
        return list(ALL_STAGES)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = VERSIONS_DEFAULT_RESULTS,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        """Versions matching ``filter_string`` (``name = 'taxi'``, ``run_id = '...'``, ``tags.k = 'v'``)."""
        return search_versions(self._registry, filter_string, max_results, order_by, page_token)

    def _version_for_tag(self, name: str, version: Any, stage: str | None) -> Any:
        from litetrack.errors import InvalidArgument, ModelVersionNotFound
        from litetrack.registry.entities import canonical_stage

        if (version is None) == (stage is None):
            raise InvalidArgument("Pass exactly one of version and stage")
        if stage is None:
            return version
        found = self.get_latest_versions(name, [canonical_stage(stage)])
        if not found:
            raise ModelVersionNotFound(
                f"Registered model {name!r} has no version in stage {canonical_stage(stage)!r}"
            )
        return found[0].version

    def set_model_version_tag(
        self,
        name: str,
        version: int | str | None = None,
        key: str | None = None,
        value: Any = None,
        stage: str | None = None,
    ) -> None:
        """Set a tag on a version (or on the latest version in ``stage``)."""
        self._registry.set_version_tag(
            name, self._version_for_tag(name, version, stage), key, value
        )

    def delete_model_version_tag(
        self,
        name: str,
        version: int | str | None = None,
        key: str | None = None,
        stage: str | None = None,
    ) -> None:
        """Remove a tag from a version (or from the latest version in ``stage``)."""
        self._registry.delete_version_tag(name, self._version_for_tag(name, version, stage), key)

    def get_model_version_download_uri(self, name: str, version: int | str) -> str:
        """``models:/NAME/VERSION``: a URI every litetrack loader reads, valid while the version exists.

        (MLflow returns the artifact location; here the files are pinned
        blobs, and the version's own URI is the stable way to reach them.)
        """
        from litetrack.registry.uris import model_uri

        mv = self._registry.get_version(name, version)
        return model_uri(mv.name, mv.version)

    def copy_model_version(self, src_model_uri: str, dst_name: str) -> ModelVersion:
        """Register the files of a ``models:/`` version as a new version of ``dst_name`` (created if missing)."""
        from litetrack.registry import register_model

        return register_model(src_model_uri, dst_name, store=self._store)

    # -- aliases -------------------------------------------------------------------------
    def set_registered_model_alias(
        self, name: str, alias: str, version: int | str, *, comment: str | None = None
    ) -> None:
        """Point ``alias`` (``champion``) at a version; ``models:/NAME@champion`` then loads it."""
        self._registry.set_alias(name, alias, version, comment)

    def delete_registered_model_alias(
        self, name: str, alias: str, *, comment: str | None = None
    ) -> None:
        """Remove an alias (no error if it is not set, as in MLflow)."""
        self._registry.delete_alias(name, alias, comment)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version ``alias`` points at; ``ModelVersionNotFound`` lists the aliases that exist."""
        from litetrack.registry.store import version_entity
        from litetrack.registry.uris import ModelRef

        if not isinstance(alias, str) or not alias:
            from litetrack.errors import InvalidArgument

            raise InvalidArgument(f"Invalid alias {alias!r}: expected a non-empty string")
        _, mdoc, vdoc = self._registry.resolve(ModelRef(name, "alias", alias))
        return version_entity(mdoc, vdoc)
