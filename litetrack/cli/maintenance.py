"""Store maintenance commands: ``reindex`` (and ``verify``/``gc`` when present)."""

from __future__ import annotations

import argparse
import time

from litetrack.cli.common import open_client, print_json


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``reindex``."""
    from litetrack.cli import add_common

    p = sub.add_parser("reindex", help="rebuild the search index from the run documents")
    add_common(p)
    p.set_defaults(func=cmd_reindex)


def cmd_reindex(args: argparse.Namespace) -> int:
    """``reindex``: drop and rebuild the derived SQLite index."""
    client = open_client(args)
    if client is None:
        return 1
    index = client.store.search_index()
    if index is None:
        print("The search index is disabled (LITETRACK_INDEX=0); nothing to rebuild.")
        return 0
    t = time.perf_counter()
    n = index.rebuild()
    dt = time.perf_counter() - t
    if args.json:
        print_json({"runs": n, "seconds": round(dt, 3), "path": str(index.path)})
    else:
        print(f"Indexed {n} runs in {dt:.2f} s ({index.path})")
    return 0
