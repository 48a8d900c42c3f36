"""Helpers shared by the CLI commands: opening the store, printing JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from litetrack.client import Client
from litetrack.store.location import STORE_MARKERS, current_store_path, is_store, path_from_uri


def open_client(args: argparse.Namespace, must_exist: bool = True) -> Client | None:
    """The client for ``--store`` (or the default); None, after a friendly message, when the store is missing."""
    path = store_path(args)
    if path.exists() and not path.is_dir():
        print(f"error: store path {str(path)!r} is a file, not a folder", file=sys.stderr)
        return None
    if must_exist and not path.is_dir():
        print(
            f"No litetrack store at {path} yet: nothing has been logged there.\n"
            "Log a run first (import litetrack; litetrack.start_run() ...), or point to a store "
            "with --store PATH or the LITETRACK_STORE environment variable.",
            file=sys.stderr,
        )
        return None
    if path.is_dir() and not os.access(path, os.R_OK | os.X_OK):
        print(
            f"error: cannot read store folder {str(path)!r}: permission denied "
            "(reading a store needs read and execute permission on its folder)",
            file=sys.stderr,
        )
        return None
    if must_exist and not is_store(path):
        # Reads never create a store; only writes do.
        print(
            f"error: {str(path)!r} is not a litetrack store (it holds none of "
            f"{', '.join(m + '/' for m in STORE_MARKERS)}); nothing has been logged there. "
            "Point --store (or LITETRACK_STORE) at a store folder.",
            file=sys.stderr,
        )
        return None
    return Client(str(path))


def store_path(args: argparse.Namespace) -> Path:
    """The store folder named by ``--store``, else the default one."""
    store_arg = getattr(args, "store", None)
    return path_from_uri(store_arg) if store_arg else current_store_path()


def examples(*commands: str) -> str:
    """An ``--help`` epilog listing example command lines."""
    return "examples:\n" + "\n".join(f"  python -m litetrack {c}" for c in commands)


def described(description: str, *example_commands: str) -> dict[str, Any]:
    """``add_parser`` keywords for a ``--help`` with a description and examples."""
    return {
        "description": description,
        "epilog": examples(*example_commands),
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }


def print_json(obj: Any) -> None:
    """Print ``obj`` as indented JSON (NaN kept as JSON-compatible null)."""
    print(json.dumps(_clean(obj), indent=2, sort_keys=False, default=str))


def _clean(obj: Any) -> Any:
    if isinstance(obj, float) and obj != obj:
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj
