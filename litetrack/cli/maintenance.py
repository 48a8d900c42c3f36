"""Store maintenance commands: ``reindex``, ``verify`` and ``gc``."""

from __future__ import annotations

import argparse
import re
import sys
import time

from litetrack.cli.common import described, open_client, print_json
from litetrack.cli.progress import progress_bar


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``reindex``, ``verify`` and ``gc``."""
    from litetrack.cli import add_common

    p = sub.add_parser("reindex", help="rebuild the search index from the run documents",
                       **described("Drop and rebuild index.sqlite, the search index derived "
                                   "from the run documents (a cache: searches rebuild it when "
                                   "needed). Needs write permission on the store.",
                                   "reindex", "reindex --store ./store --json"))
    add_common(p)
    p.set_defaults(func=cmd_reindex)

    p = sub.add_parser(
        "verify",
        help="check documents, logs and blobs; exit 1 if something is wrong",
        **described("Parse every document and log, check that every referenced blob exists "
                    "and hashes to its name, find orphan blobs, torn logs, stale RUNNING runs "
                    "and temp files left by killed writers. Exits 1 while an error remains.",
                    "verify", "verify --quick", "verify --fix"),
    )
    p.add_argument("--fix", action="store_true",
                   help="repair what is safe: mark dead runs KILLED, terminate torn logs, "
                   "remove temp files left by killed writers")
    p.add_argument("--quick", action="store_true",
                   help="check blobs' presence and size only, without re-hashing them")
    p.add_argument("--remote", metavar="NAME",
                   help="check this remote instead of the store (read-only: nothing is repaired)")
    add_common(p)
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser(
        "gc",
        help="permanently remove deleted runs/experiments and unreferenced blobs",
        **described("Permanently remove runs and experiments deleted more than --older-than "
                    "ago, then blobs no run, model or registry entry references (untouched for "
                    "--grace), temp files of killed writers and unused cached model folders. "
                    "Safe while other processes log: a blob written or re-logged within the "
                    "grace period is never removed.",
                    "gc --dry-run", "gc --older-than 7d"),
    )
    p.add_argument("--older-than", default="30d", type=parse_duration, metavar="AGE",
                   help="remove what was deleted more than AGE ago, e.g. 30d, 12h, 1d6h, 0 "
                   "(default: 30d)")
    p.add_argument("--grace", default="1h", type=parse_duration, metavar="AGE",
                   help="keep unreferenced blobs and temp files younger than AGE (default: 1h)")
    p.add_argument("--dry-run", action="store_true",
                   help="list what would be removed; change nothing")
    p.add_argument("--no-writers", action="store_true",
                   help="no process writes to the store during this gc: allow a --grace below "
                   "the 60s minimum that otherwise protects the blobs of running writers")
    add_common(p)
    p.set_defaults(func=cmd_gc)


_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")


def parse_duration(text: str) -> float:
    """``30d``, ``1h``, ``1d6h30m``, ``90s`` or plain seconds -> seconds (argparse type)."""
    t = text.strip().lower()
    try:
        value = float(t)
    except ValueError:
        parts = _DURATION_RE.findall(t)
        if not parts or "".join(n + u for n, u in parts) != t:
            raise argparse.ArgumentTypeError(
                f"invalid duration {text!r}: use e.g. 30d, 12h, 45m, 90s, 1d6h or seconds"
            ) from None
        value = sum(float(n) * _UNITS[u] for n, u in parts)
    if value < 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: must be >= 0 and finite")
    return value


def cmd_verify(args: argparse.Namespace) -> int:
    """``verify [--fix] [--quick]``: exit 0 when the store is sound, 1 otherwise."""
    from litetrack.cli.table import format_size
    from litetrack.store.maintenance import verify

    if args.remote:
        return _verify_remote(args)
    client = open_client(args)
    if client is None:
        return 1
    with progress_bar("verify") as progress:
        rep = verify(client.store, fix=args.fix, hash_blobs=not args.quick, progress=progress)
    if args.json:
        print_json(rep.to_dict())
        return 0 if rep.ok else 1
    hashed = "hashed" if not args.quick else "presence and size checked"
    print(
        f"Checked {rep.experiments} experiments, {rep.runs} runs, {rep.blobs} blobs "
        f"({format_size(rep.blob_bytes)}; {rep.referenced} referenced, {hashed}) "
        f"in {rep.seconds:.2f} s"
    )
    for f in rep.findings:
        label = "fixed" if f.fixed else ("ERROR" if f.severity == "error" else "note")
        print(f"  {label:<5}  {f.kind:<18}  {f.message}")
    errors = rep.errors
    fixed = sum(f.fixed for f in rep.findings)
    if errors:
        hint = "" if args.fix else "; `verify --fix` repairs stale runs, torn logs and temp files"
        print(f"{len(errors)} problem(s) remain" + (f", {fixed} fixed" if fixed else "") + hint)
        return 1
    print("OK" + (f": {fixed} problem(s) fixed" if fixed else ": no problems"))
    return 0


def _verify_remote(args: argparse.Namespace) -> int:
    from litetrack.cli.table import format_size
    from litetrack.store.location import current_store_path, path_from_uri
    from litetrack.store.remote.config import get_remote
    from litetrack.store.remote.verify import verify_remote

    root = path_from_uri(args.store) if getattr(args, "store", None) else current_store_path()
    rep = verify_remote(get_remote(root, args.remote), hash_blobs=not args.quick)
    if args.json:
        print_json(rep.to_dict())
        return 0 if rep.ok else 1
    print(f"Checked remote {rep.remote!r}: {rep.experiments} experiments, {rep.runs} runs, "
          f"{rep.blobs} blobs ({format_size(rep.blob_bytes)}) in {rep.seconds:.2f} s")
    for e in rep.errors:
        print(f"  ERROR  {e}")
    print("OK: no problems" if rep.ok else f"{len(rep.errors)} problem(s)")
    return 0 if rep.ok else 1


def cmd_gc(args: argparse.Namespace) -> int:
    """``gc [--older-than 30d] [--grace 1h] [--dry-run]``."""
    from litetrack.cli.table import format_size
    from litetrack.store.maintenance import gc

    client = open_client(args)
    if client is None:
        return 1
    with progress_bar("gc") as progress:
        rep = gc(
            client.store, args.older_than, args.grace, dry_run=args.dry_run,
            no_writers=args.no_writers, progress=progress,
        )
    if args.json:
        print_json(rep.to_dict())
        return 0 if rep.ok else 1
    verb = "Would remove" if rep.dry_run else "Removed"
    print(
        f"{verb} {len(rep.runs)} runs, {len(rep.experiments)} experiments, {len(rep.blobs)} blobs "
        f"({format_size(rep.blob_bytes)}), {len(rep.temp_files)} temp files, "
        f"{len(rep.cache_dirs)} cached model folders in {rep.seconds:.2f} s"
    )
    if rep.dry_run:
        for kind, items in (("run", rep.runs), ("experiment", rep.experiments), ("blob", rep.blobs),
                            ("temp", rep.temp_files), ("cache", rep.cache_dirs)):
            for item in items:
                print(f"  {kind:<10}  {item}")
    if rep.kept_runs:
        print(f"Kept {len(rep.kept_runs)} deleted run(s) still in use "
              "(live, restored, or in a kept experiment)")
    for reason in rep.blocked:
        print(f"error: no blob removed, a reference could not be read: {reason}")
    return 0 if rep.ok else 1


def cmd_reindex(args: argparse.Namespace) -> int:
    """``reindex``: drop and rebuild the derived SQLite index."""
    client = open_client(args)
    if client is None:
        return 1
    if not client.store.writable():
        print(
            f"error: reindex needs write permission on the store folder {str(client.store.root)!r} "
            "(it rewrites index.sqlite there); reads work without it, scanning the documents",
            file=sys.stderr,
        )
        return 1
    index = client.store.search_index()
    if index is None:
        print("The search index is disabled (LITETRACK_INDEX=0); nothing to rebuild.")
        return 0
    t = time.perf_counter()
    with progress_bar("reindex") as progress:
        n = index.rebuild(progress=progress)
    dt = time.perf_counter() - t
    if args.json:
        print_json({"runs": n, "seconds": round(dt, 3), "path": str(index.path)})
    else:
        print(f"Indexed {n} runs in {dt:.2f} s ({index.path})")
    return 0
