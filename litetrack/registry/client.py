"""Registry operations of :class:`litetrack.Client` (a mixin, so client.py stays small).

Names, arguments and meaning follow ``MlflowClient``. Beyond MLflow: stage
transitions and alias changes take an optional ``comment`` (kept in the
registry history), and :meth:`RegistryClientMixin.get_registered_model_history`
returns that history.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from litetrack.entities import ALL_STAGES, ModelVersion, RegisteredModel, canonical_stage
from litetrack.errors import InvalidArgument, ModelVersionNotFound, RegisteredModelNotFound
from litetrack.paging import PagedList
from litetrack.store.core import Store
from litetrack.store.registry.limits import (
    MODELS_DEFAULT_RESULTS,
    VERSIONS_DEFAULT_RESULTS,
)
from litetrack.store.registry.uris import model_uri

if TYPE_CHECKING:
    from litetrack.store.registry.store import RegistryStore


@contextmanager
def version_of(name: Any, version: Any) -> Iterator[None]:
    """Word a missing model, met while looking for one of its versions, as MLflow does.

    MLflow answers "Model Version (name=X, version=N) not found" whether the version or
    its whole model is missing; litetrack goes on to say which (the class stays
    ``RegisteredModelNotFound``).
    """
    try:
        yield
    except RegisteredModelNotFound as e:
        raise RegisteredModelNotFound(
            f"Model Version (name={name}, version={version}) not found: {e.message}",
            name=name,
        ) from None


class RegistryClientMixin:
    """``Client`` methods for the model registry (MLflow's names)."""

    _store: Store

    @property
    def _registry(self) -> RegistryStore:
        return self._store.registry

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
        return self._registry.search_models(filter_string, max_results, order_by, page_token)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        """Set a tag on a registered model."""
        self._registry.set_model_tag(name, key, value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove a tag from a registered model."""
        self._registry.delete_model_tag(name, key)

    def get_latest_versions(self, name: str, stages: list[str] | None = None) -> list[ModelVersion]:
        """The newest version in each of ``stages`` (every stage when None), as in MLflow."""
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
        # create_model=False: RegisteredModelNotFound before anything is copied.
        return self._registry.register(
            source,
            name,
            run_id=run_id,
            tags=tags,
            description=description,
            run_link=run_link,
            create_model=False,
        )

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        """One version of a registered model."""
        with version_of(name, version):
            return self._registry.get_version(name, version)

    def update_model_version(
        self, name: str, version: int | str, description: str | None = None
    ) -> ModelVersion:
        """Set the description of a model version."""
        with version_of(name, version):
            return self._registry.update_version(name, version, description)

    def delete_model_version(self, name: str, version: int | str) -> None:
        """Delete a version (its stage and aliases go with it; its number is not reused)."""
        with version_of(name, version):
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
        with version_of(name, version):
            return self._registry.transition(
                name, version, stage, archive_existing_versions, comment
            )

    def get_model_version_stages(self, name: str, version: int | str) -> list[str]:
        """The stages a version can be moved to (all four)."""
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
        return self._registry.search_versions(filter_string, max_results, order_by, page_token)

    def _version_for_tag(self, name: str, version: Any, stage: str | None) -> Any:
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
        with version_of(name, version):
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
        with version_of(name, version):
            self._registry.delete_version_tag(
                name, self._version_for_tag(name, version, stage), key
            )

    def get_model_version_download_uri(self, name: str, version: int | str) -> str:
        """Where the version's files came from (its ``source``, e.g. ``runs:/ID/model``), as MLflow.

        Every litetrack loader reads that URI. The registry also pins the
        files: ``models:/NAME/VERSION`` reaches them even after the source
        run is deleted.
        """
        from litetrack.errors import LitetrackError
        from litetrack.store.registry.uris import parse_model_uri

        with version_of(name, version):
            mv = self._registry.get_version(name, version)
        source = mv.source or model_uri(mv.name, mv.version)
        # A copy's source is models:/SRC/N; MLflow answers with the location of the files
        # the copy was made from, so follow such links to the first other source (bounded:
        # a store edited by hand could hold a cycle; a deleted link ends the walk).
        for _ in range(100):
            if not source.startswith("models:/"):
                break
            try:
                _, _, vdoc = self._registry.resolve(parse_model_uri(source))
            except LitetrackError:
                break
            if not vdoc.get("source"):
                break
            source = vdoc["source"]
        return source

    def copy_model_version(self, src_model_uri: str, dst_name: str) -> ModelVersion:
        """Register the files of a ``models:/`` version as a new version of ``dst_name`` (created if missing).

        As in MLflow, the copy's source is the version URI ``models:/NAME/VERSION``
        even when ``src_model_uri`` names an alias, a stage or "latest", and the copy
        keeps the version's run id, run link, description and tags.
        """
        from litetrack.store.registry.uris import parse_model_uri

        if isinstance(src_model_uri, str) and src_model_uri.startswith("models:/"):
            _, mdoc, vdoc = self._registry.resolve(parse_model_uri(src_model_uri))
            return self._registry.register(
                model_uri(mdoc["name"], vdoc["version"]),
                dst_name,
                run_id=vdoc.get("run_id"),
                tags=dict(vdoc.get("tags") or {}),
                description=vdoc.get("description"),
                run_link=vdoc.get("run_link"),
                create_model=True,
            )
        return self._registry.register(src_model_uri, dst_name, create_model=True)

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
        return self._registry.get_version_by_alias(name, alias)
