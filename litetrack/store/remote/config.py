"""The remotes a store knows: ``<store>/remotes.json``, and its per-remote sync records.

``remotes.json`` (one document, replaced atomically under ``remotes.lock``)::

    {"schema_version": 1, "default": "team",
     "remotes": {"team": {"url": "s3://bucket/prefix", "endpoint_url": null}}}

It holds names and URLs only, never credentials: those come from the
services' standard chains when a remote is opened.

``<store>/remotes/<name>.state.json`` records what the remote is known to
hold (see :mod:`litetrack.store.remote.sync`); it is a cache, deleted with the
remote and rebuilt by the next push or pull.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

from litetrack.errors import AlreadyExists, CorruptDocument, InvalidArgument, RemoteNotFound
from litetrack.store.fs import atomic_create, dumps, ensure_dir, locked, write_json
from litetrack.store.remote import Remote, open_remote

CONFIG = "remotes.json"
STATE_DIR = "remotes"
STORE_ID = "store-id"
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def validate_remote_name(name: object) -> str:
    """Remote names: 1-64 letters, digits, ``_``, ``.`` or ``-`` (they name a state file)."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise InvalidArgument(
            f"invalid remote name {name!r}: expected 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit",
            name=name,
        )
    return name


def read_config(root: Path) -> dict[str, Any]:
    """The remotes document of a store (an empty one when there is none)."""
    path = root / CONFIG
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {"schema_version": 1, "default": None, "remotes": {}}
    except ValueError as e:
        raise CorruptDocument(f"cannot parse {str(path)!r}: {e}", path=str(path)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("remotes"), dict):
        raise CorruptDocument(f"{str(path)!r} is not a remotes document", path=str(path))
    return doc


def add_remote(
    root: Path, name: str, url: str, *, endpoint_url: str | None = None, default: bool = False
) -> None:
    """Record a remote (the URL is checked by opening it, nothing is sent)."""
    name = validate_remote_name(name)
    open_remote(url, endpoint_url=endpoint_url, name=name)  # refuses bad schemes and credentials
    if endpoint_url is not None and not re.match(r"https?://[^/@]+(/.*)?$", endpoint_url):
        raise InvalidArgument(
            f"invalid endpoint URL {endpoint_url!r}: expected http(s)://host[:port] "
            "without credentials"
        )
    ensure_dir(root)
    with locked(root / "remotes.lock"):
        doc = read_config(root)
        if name in doc["remotes"]:
            raise AlreadyExists(
                f"a remote named {name!r} already exists ({doc['remotes'][name]['url']})"
            )
        doc["remotes"][name] = {"url": url, "endpoint_url": endpoint_url}
        if default or not doc.get("default"):
            doc["default"] = name
        write_json(root / CONFIG, doc)


def remove_remote(root: Path, name: str) -> None:
    """Forget a remote and its sync record (nothing on the remote is touched)."""
    with locked(root / "remotes.lock"):
        doc = read_config(root)
        if name not in doc["remotes"]:
            raise RemoteNotFound(_unknown(name, doc))
        del doc["remotes"][name]
        if doc.get("default") == name:
            doc["default"] = next(iter(doc["remotes"]), None)
        write_json(root / CONFIG, doc)
    (root / STATE_DIR / f"{name}.state.json").unlink(missing_ok=True)


def _unknown(name: str | None, doc: dict[str, Any]) -> str:
    known = ", ".join(sorted(doc["remotes"])) or "none; add one with `remote add NAME URL`"
    return f"no remote named {name!r} (known: {known})"


def resolve_remote(root: Path, name: str | None) -> tuple[str, dict[str, Any]]:
    """(name, entry) of ``name``, or of the default remote when ``name`` is None."""
    doc = read_config(root)
    if name is None:
        name = doc.get("default")
        if not name:
            raise RemoteNotFound(
                "no remote given and no default remote; add one with `remote add NAME URL`"
            )
    if name not in doc["remotes"]:
        raise RemoteNotFound(_unknown(name, doc))
    return name, doc["remotes"][name]


def get_remote(root: Path, name: str | None) -> Remote:
    """Open the remote called ``name`` (or the default one) of the store at ``root``."""
    name, entry = resolve_remote(root, name)
    return open_remote(entry["url"], endpoint_url=entry.get("endpoint_url"), name=name)


def store_id(root: Path) -> str:
    """This store's stable random id (created on first use): it names its index shard on remotes."""
    path = root / STORE_ID
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    ensure_dir(root)
    atomic_create(path, uuid.uuid4().hex.encode())  # two racing processes: the first wins
    return path.read_text().strip()


def state_path(root: Path, name: str) -> Path:
    """Where the sync record of remote ``name`` lives."""
    return root / STATE_DIR / f"{validate_remote_name(name)}.state.json"


def read_state(root: Path, name: str, url: str) -> dict[str, Any]:
    """The sync record of a remote; a fresh one if missing, unreadable or for another URL."""
    fresh: dict[str, Any] = {
        "schema_version": 1,
        "url": url,
        "runs": {},
        "blobs": [],
        "experiments": {},
        "shards": {},
    }
    try:
        doc = json.loads(state_path(root, name).read_bytes())
    except (FileNotFoundError, ValueError):
        return fresh
    if not isinstance(doc, dict) or doc.get("url") != url or doc.get("schema_version") != 1:
        return fresh
    for key, value in fresh.items():
        doc.setdefault(key, value)
    return doc


def write_state(root: Path, name: str, state: dict[str, Any]) -> None:
    """Replace the sync record atomically."""
    path = state_path(root, name)
    ensure_dir(path.parent)
    from litetrack.store.fs import atomic_write

    atomic_write(path, dumps(state))
