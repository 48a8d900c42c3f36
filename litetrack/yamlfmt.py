"""YAML in and out, through pyyaml, in the format MLflow writes.

Every YAML file litetrack reads or writes goes through here: ``MLmodel``,
``conda.yaml``, ``python_env.yaml``, ``log_dict``/``load_dict`` artifacts and
the ``meta.yaml`` files of an imported MLflow store. pyyaml is a required
dependency but is imported on first use, so that ``import litetrack`` stays
light. Reading uses libyaml's C loader when pyyaml was built with it
(parsing an MLmodel then takes ~0.15 ms instead of ~1.4 ms). Writing uses
pyyaml's pure-Python dumper, as MLflow does: libyaml's emitter differs in
corners (an empty key is written ``'': x`` instead of ``? ''``), and the
bytes of an MLmodel should not depend on how pyyaml was built; a dump costs
under a millisecond, once per saved model.

:func:`dump` writes what MLflow's ``yaml.safe_dump(doc,
default_flow_style=False)`` writes: block style, keys sorted unless
``sort_keys=False`` (MLflow's ``python_env.yaml`` keeps its key order).

:func:`load` with ``aliases=False`` is for files from outside (an imported
MLflow folder): an alias (``*name``) is refused, so a file of nested aliases
(a "billion laughs" bomb) cannot expand into gigabytes in whoever walks the
result.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from litetrack.errors import CorruptDocument, InvalidArgument

__all__ = ["dump", "load"]


@functools.cache
def _yaml() -> Any:
    import yaml

    return yaml


@functools.cache
def _loader() -> Any:
    yaml = _yaml()
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def _no_alias_loader() -> Any:
    # libyaml's composer is C code that cannot be hooked, so the refusing
    # loader is pyyaml's pure-Python one; load() only uses it when the text
    # could hold an alias at all.
    yaml = _yaml()

    class NoAliasLoader(yaml.SafeLoader):  # type: ignore[misc, name-defined]
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"found the alias *{event.anchor}; YAML aliases are not accepted in "
                    "imported files (a file of nested aliases can expand without bound)",
                    event.start_mark,
                )
            return super().compose_node(parent, index)

    return NoAliasLoader


def load(text: str, path: str | None = None, *, aliases: bool = True) -> Any:
    """Parse one YAML document with pyyaml's safe loader.

    Returns the Python value (``None`` for an empty text). With
    ``aliases=False`` a document that uses an alias is refused. Raises
    :class:`~litetrack.errors.CorruptDocument` naming ``path`` when the text
    is not valid YAML, holds more than one document, or is refused.
    """
    yaml = _yaml()
    loader = _loader() if aliases or "*" not in text else _no_alias_loader()
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        where = f" in {path}" if path else ""
        raise CorruptDocument(f"invalid YAML{where}: {exc}", path=path) from None


def dump(doc: Mapping[str, Any] | Any, *, sort_keys: bool = True) -> str:
    """``doc`` as block-style YAML text, as MLflow's ``yaml.safe_dump`` writes it.

    Non-ASCII text is written escaped (pyyaml's default, as MLflow does).
    Raises :class:`~litetrack.errors.InvalidArgument` when ``doc`` holds a
    value YAML's safe dumper cannot represent.
    """
    yaml = _yaml()
    try:
        text: str = yaml.dump(
            doc, Dumper=yaml.SafeDumper, default_flow_style=False, sort_keys=sort_keys
        )
    except yaml.representer.RepresenterError as exc:
        raise InvalidArgument(f"cannot write as YAML: {exc}") from None
    return text
