"""The registry history: ``<store>/registry/history.jsonl``, append-only.

One JSON line per change, written after the change is committed, by the
process holding the model's lock (so a model's lines are in commit order)::

    {"time": 1700000000000, "user": "ana", "model": "taxi", "model_id": "9f…",
     "version": 3, "action": "transition_stage", "from": "Staging",
     "to": "Production", "comment": "beats v2 on March data"}

``model`` is the model's name at the time of the change, ``model_id`` a
stable id that follows renames (and tells a deleted model from a new one of
the same name). The log is kept when a model is deleted and is never read to
answer API calls, so it stays useful when a registry document is damaged:
``python -m litetrack models history NAME`` (or ``jq``) shows what happened.

Actions: ``create_model``, ``rename_model``, ``update_model``,
``delete_model``, ``set_model_tag``, ``delete_model_tag``,
``create_version``, ``update_version``, ``delete_version``,
``set_version_tag``, ``delete_version_tag``, ``transition_stage``,
``set_alias``, ``delete_alias``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from litetrack import clock
from litetrack.store.fs import append_line
from litetrack.store.runlog import read_log_records
from litetrack.store.runs import current_user

logger = logging.getLogger(__name__)

HISTORY_FILE = "history.jsonl"


def event(
    model: str,
    model_id: str,
    action: str,
    *,
    version: int | None = None,
    old: Any = None,
    new: Any = None,
    comment: str | None = None,
    user: str | None = None,
    when: int | None = None,
) -> dict[str, Any]:
    """One history record (``old``/``new`` become ``from``/``to``)."""
    if user is None:
        user = current_user()
    return {
        "time": when if when is not None else clock.now_ms(),
        "user": user,
        "model": model,
        "model_id": model_id,
        "version": version,
        "action": action,
        "from": old,
        "to": new,
        "comment": comment,
    }


def append(path: Path, events: list[dict[str, Any]]) -> None:
    """Append records with one ``write`` (they land together or not at all)."""
    if not events:
        return
    data = b"".join(
        json.dumps(e, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
        for e in events
    )
    fd_path = str(path)
    try:
        _repair_torn_tail(fd_path)
    except FileNotFoundError:
        pass
    append_line(fd_path, data)


def _repair_torn_tail(path: str) -> None:
    # A writer killed mid-write may leave a line without its newline; start
    # on a fresh line so the next record is not glued onto it. Callers hold
    # the model lock, but other models' writers may append concurrently: a
    # stray extra newline is harmless (blank lines are skipped).
    import os

    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        if f.tell() == 0:
            return
        f.seek(-1, os.SEEK_END)
        if f.read(1) == b"\n":
            return
    append_line(path, b"\n")


def read(path: Path) -> list[dict[str, Any]]:
    """Every readable record, in file order. Damaged lines are skipped with a warning."""
    return read_log_records(path)[0]


def for_model(
    records: list[dict[str, Any]], name: str, model_id: str | None = None
) -> list[dict[str, Any]]:
    """The records of the model called ``name`` (following renames).

    Without ``model_id``, the model is the last one that bore ``name``
    (a deleted model's history is still found; so is a model whose
    ``model.json`` cannot be read).
    """
    if model_id is None:
        for rec in reversed(records):
            if rec.get("model") == name or (
                rec.get("action") == "rename_model" and rec.get("from") == name
            ):
                model_id = rec.get("model_id")
                break
        if model_id is None:
            return []
    return [r for r in records if r.get("model_id") == model_id]
