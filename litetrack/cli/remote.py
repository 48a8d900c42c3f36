"""``remote add|ls|rm``, ``push``, ``pull`` and ``sync``: share a store through object storage."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from litetrack.cli.common import described, print_json
from litetrack.store.location import current_store_path, path_from_uri


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``remote``, ``push``, ``pull`` and ``sync``."""
    from litetrack.cli import add_common

    group = sub.add_parser(
        "remote",
        help="manage remotes (S3, GCS, Azure, a shared folder)",
        **described(
            "Manage the remotes of this store: places on object storage or a shared folder "
            "that push, pull and sync exchange runs with.",
            "remote add team s3://ml-bucket/litetrack --default",
            "remote ls",
            "remote rm team",
        ),
    )
    rsub = group.add_subparsers(dest="remote_command", metavar="SUBCOMMAND")
    a = rsub.add_parser(
        "add",
        help="add a remote",
        **described(
            "Add a remote: s3://bucket/prefix, gs://bucket/prefix, az://container/prefix or "
            "file:///path. Credentials come from the service's usual chain (environment, "
            "profiles, instance roles) and are never stored.",
            "remote add team s3://ml-bucket/litetrack --default",
            "remote add minio s3://bucket/x --endpoint-url http://127.0.0.1:9000",
            "remote add nfs file:///mnt/shared/litetrack",
        ),
    )
    a.add_argument("name")
    a.add_argument("url")
    a.add_argument(
        "--endpoint-url", metavar="URL", help="an S3-compatible service (MinIO, Ceph, R2)"
    )
    a.add_argument("--default", action="store_true", help="make it the default remote")
    add_common(a, json_flag=False)
    a.set_defaults(func=cmd_remote_add)
    ls = rsub.add_parser(
        "ls",
        help="list remotes",
        **described(
            "List this store's remotes (* marks the default).", "remote ls", "remote ls --json"
        ),
    )
    add_common(ls)
    ls.set_defaults(func=cmd_remote_ls)
    rm = rsub.add_parser(
        "rm",
        help="forget a remote (nothing on it is deleted)",
        **described(
            "Forget a remote and what this store remembers about it; nothing on the remote "
            "is deleted.",
            "remote rm team",
        ),
    )
    rm.add_argument("name")
    add_common(rm, json_flag=False)
    rm.set_defaults(func=cmd_remote_rm)
    group.set_defaults(func=lambda args: (group.print_help(), 2)[1])

    p = sub.add_parser(
        "push",
        help="send runs, experiments and artifacts to a remote",
        **described(
            "Send runs, their experiments and artifacts to a remote: only what it lacks "
            "(runs as log segments, blobs by digest). Resumable after a kill.",
            "push",
            "push team --experiment taxi",
            "push team --run RUN_ID --recheck",
        ),
    )
    p.add_argument("name", nargs="?", help="remote (default: the default remote)")
    p.add_argument("--experiment", metavar="E", help="only runs of this experiment (name or id)")
    p.add_argument("--run", metavar="ID", action="append", help="only this run (repeatable)")
    p.add_argument(
        "--recheck",
        action="store_true",
        help="ignore what this store remembers about the remote and check everything",
    )
    add_common(p)
    p.set_defaults(func=cmd_push)

    p = sub.add_parser(
        "pull",
        help="bring runs, experiments and artifacts from a remote",
        **described(
            "Bring runs, their experiments and artifacts from a remote into this store "
            "(digest-checked; a run that diverged here is reported and kept).",
            "pull",
            "pull team --experiment taxi",
        ),
    )
    p.add_argument("name", nargs="?", help="remote (default: the default remote)")
    p.add_argument("--experiment", metavar="E", help="only runs of this experiment (name)")
    add_common(p)
    p.set_defaults(func=cmd_pull)

    p = sub.add_parser(
        "sync",
        help="pull, then push",
        **described(
            "Pull, then push: this store and the remote both end with the union of their runs.",
            "sync",
            "sync team",
        ),
    )
    p.add_argument("name", nargs="?", help="remote (default: the default remote)")
    add_common(p)
    p.set_defaults(func=cmd_sync)


def _root(args: argparse.Namespace) -> Path:
    store_arg = getattr(args, "store", None)
    return path_from_uri(store_arg) if store_arg else current_store_path()


def _store(args: argparse.Namespace) -> Any:
    from litetrack.store.core import get_store

    return get_store(_root(args))


def cmd_remote_add(args: argparse.Namespace) -> int:
    """``remote add NAME URL [--endpoint-url URL] [--default]``."""
    from litetrack.store.remote.config import add_remote

    add_remote(
        _root(args), args.name, args.url, endpoint_url=args.endpoint_url, default=args.default
    )
    print(f"Added remote {args.name!r}: {args.url}")
    return 0


def cmd_remote_ls(args: argparse.Namespace) -> int:
    """``remote ls``."""
    from litetrack.store.remote.config import read_config

    doc = read_config(_root(args))
    rows = [
        {
            "name": n,
            "url": e["url"],
            "endpoint_url": e.get("endpoint_url"),
            "default": n == doc.get("default"),
        }
        for n, e in sorted(doc["remotes"].items())
    ]
    if args.json:
        print_json(rows)
    elif not rows:
        print("No remotes; add one with `python -m litetrack remote add NAME URL`.")
    for r in rows if not args.json else []:
        extra = f"  (endpoint {r['endpoint_url']})" if r["endpoint_url"] else ""
        print(f"{'*' if r['default'] else ' '} {r['name']:<16} {r['url']}{extra}")
    return 0


def cmd_remote_rm(args: argparse.Namespace) -> int:
    """``remote rm NAME``."""
    from litetrack.store.remote.config import remove_remote

    remove_remote(_root(args), args.name)
    print(f"Removed remote {args.name!r} (nothing on it was deleted)")
    return 0


def _summary(rep: Any) -> str:
    from litetrack.cli.table import format_size

    verb = "sent" if rep.direction == "push" else "received"
    text = (
        f"{rep.direction} {rep.remote!r}: {rep.runs} runs {verb}, {rep.runs_unchanged} unchanged; "
        f"{rep.blobs_sent} blobs {verb} ({format_size(rep.bytes_sent)}), "
        f"{rep.blobs_skipped} skipped ({format_size(rep.bytes_skipped)}); "
        f"log {format_size(rep.log_bytes)}; {rep.seconds:.2f} s"
    )
    if rep.skipped_live:
        text += f"; {len(rep.skipped_live)} run(s) still being written here left alone"
    return text


def _print(args: argparse.Namespace, reports: list[Any]) -> int:
    if args.json:
        print_json([r.to_dict() for r in reports] if len(reports) > 1 else reports[0].to_dict())
    else:
        for rep in reports:
            print(_summary(rep))
            for c in rep.conflicts:
                print(f"  conflict  {c}")
            for p in rep.problems:
                print(f"  problem   {p}")
    return 0 if all(r.ok for r in reports) else 1


def cmd_push(args: argparse.Namespace) -> int:
    """``push [NAME] [--experiment E] [--run ID]``."""
    from litetrack.store.remote.sync import push

    rep = push(
        _store(args), args.name, experiment=args.experiment, run_ids=args.run, recheck=args.recheck
    )
    return _print(args, [rep])


def cmd_pull(args: argparse.Namespace) -> int:
    """``pull [NAME] [--experiment E]``."""
    from litetrack.store.remote.sync import pull

    return _print(args, [pull(_store(args), args.name, experiment=args.experiment)])


def cmd_sync(args: argparse.Namespace) -> int:
    """``sync [NAME]``: pull then push."""
    from litetrack.store.remote.sync import sync

    return _print(args, list(sync(_store(args), args.name)))
