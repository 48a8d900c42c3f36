"""``artifacts ls RUN [PATH]`` and ``artifacts get RUN PATH [-o DIR]``: a run's files."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path, PurePosixPath
from typing import Any

from litetrack.cli.common import examples, open_client, print_json
from litetrack.cli.table import format_size, print_table
from litetrack.errors import ArtifactNotFound, InvalidArgument


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``artifacts ls`` and ``artifacts get``."""
    from litetrack.cli import add_common

    art = sub.add_parser(
        "artifacts",
        help="list or copy out the files a run logged",
        description="List the artifacts of a run (files and folders, with sizes and digests) or "
        "copy them out of the store as ordinary files.",
        epilog=examples("artifacts ls 3f2a", "artifacts get 3f2a model -o ./model-copy"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common(art, json_flag=False)
    asub = art.add_subparsers(dest="artifacts_command", metavar="SUBCOMMAND")

    p = asub.add_parser(
        "ls",
        help="the files and folders under PATH (the top level by default)",
        description="List the artifacts of RUN directly under PATH (the top level by default); "
        "folders end with '/' and show the total size of what they hold.",
        epilog=examples("artifacts ls 3f2a", "artifacts ls 3f2a model --recursive"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_id", metavar="RUN", help="run id (a unique prefix is enough)")
    p.add_argument("path", nargs="?", default=None, help="an artifact folder or file")
    p.add_argument("--recursive", "-r", action="store_true", help="every file under PATH")
    add_common(p)
    p.set_defaults(func=cmd_ls)

    p = asub.add_parser(
        "get",
        help="copy an artifact file or folder out of the store",
        description="Copy the artifact file or folder PATH of RUN into DIR (the current folder "
        "by default), under its own name; every file is checked against its digest.",
        epilog=examples(
            "artifacts get 3f2a notes/readme.txt", "artifacts get 3f2a model -o /tmp/m"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_id", metavar="RUN", help="run id (a unique prefix is enough)")
    p.add_argument("path", metavar="PATH", help="an artifact file or folder ('.' for all)")
    p.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        default=".",
        help="folder to copy into (default: the current folder)",
    )
    p.add_argument("--force", action="store_true", help="overwrite files that exist")
    add_common(p)
    p.set_defaults(func=cmd_get)
    art.set_defaults(func=lambda args: _usage(art))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _entries(client: Any, run_id: str, path: str | None) -> dict[str, dict[str, Any]]:
    from litetrack.store.artifacts import resolve

    entries = resolve(client.store, run_id, None if path in (None, "", ".") else path)
    if not entries:
        raise ArtifactNotFound(f"Run {run_id!r} has no artifacts")
    return entries


def cmd_ls(args: argparse.Namespace) -> int:
    """``artifacts ls RUN [PATH] [-r]``."""
    from litetrack.cli.runs import resolve_run_id
    from litetrack.store.artifacts import manifest

    client = open_client(args)
    if client is None:
        return 1
    run_id = resolve_run_id(client, args.run_id)
    path = None if args.path in (None, "", ".") else args.path
    if path is None and not manifest(client.store, run_id):
        if args.json:
            print_json([])
        else:
            print(f"Run {run_id} has no artifacts")
        return 0
    entries = _entries(client, run_id, path)
    rows = _listing(entries, path, args.recursive)
    if args.json:
        print_json(rows)
        return 0
    print_table(
        ["path", "size", "digest"],
        [
            [
                r["path"] + ("/" if r["is_dir"] else ""),
                format_size(r["size"]),
                (r["digest"] or "")[:12],
            ]
            for r in rows
        ],
        args,
        right_align=[False, True, False],
    )
    return 0


def _listing(
    entries: dict[str, dict[str, Any]], path: str | None, recursive: bool
) -> list[dict[str, Any]]:
    if recursive or (path is not None and list(entries) == [path]):
        return [
            {"path": p, "is_dir": False, "size": e["size"], "digest": e["digest"]}
            for p, e in sorted(entries.items())
        ]
    base = f"{path}/" if path else ""
    rows: dict[str, dict[str, Any]] = {}
    for p, e in sorted(entries.items()):
        head, sep, _ = p[len(base) :].partition("/")
        full = base + head
        if sep:
            row = rows.setdefault(full, {"path": full, "is_dir": True, "size": 0, "digest": None})
            row["size"] += e["size"]
        else:
            rows[full] = {"path": full, "is_dir": False, "size": e["size"], "digest": e["digest"]}
    return list(rows.values())


def cmd_get(args: argparse.Namespace) -> int:
    """``artifacts get RUN PATH [-o DIR] [--force]``."""
    from litetrack.cli.runs import resolve_run_id

    client = open_client(args)
    if client is None:
        return 1
    run_id = resolve_run_id(client, args.run_id)
    entries = _entries(client, run_id, args.path)
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise InvalidArgument(f"Output {str(out)!r} is a file, not a folder")
    # Files land under the artifact's own name: PATH's parent is cut off.
    parent = "" if args.path in ("", ".") else str(PurePosixPath(args.path.rstrip("/")).parent)
    cut = 0 if parent in ("", ".") else len(parent) + 1
    targets = [(out / p[cut:], e) for p, e in sorted(entries.items())]
    existing = [str(t) for t, _ in targets if t.exists()]
    if existing and not args.force:
        raise InvalidArgument(
            f"Not overwriting {len(existing)} existing file(s), e.g. {existing[0]!r}: "
            "pass --force, or another folder with -o DIR"
        )
    total = 0
    for target, e in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            os.unlink(target)
        client.store.objects.copy_to(e["digest"], target, verify=True)
        total += e["size"]
    if args.json:
        print_json({"run_id": run_id, "files": [str(t) for t, _ in targets], "bytes": total})
    else:
        where = str(targets[0][0]) if len(targets) == 1 else str(out)
        print(f"Copied {len(targets)} file(s), {format_size(total)}, to {where}")
    return 0
