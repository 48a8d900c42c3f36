"""``models``: the model registry in the terminal.

    models ls [--filter F]
    models show NAME [--metrics m1,m2] [--limit N]
    models stage NAME VERSION STAGE [--archive-existing] [-m COMMENT]
    models alias NAME ALIAS [VERSION] [--delete] [-m COMMENT]
    models history NAME [--limit N]

Each takes ``--json``. ``show`` puts next to each version what a person
weighs before promoting it: its stage and aliases, the source run's latest
metrics and duration, the model's size and when it was registered.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from litetrack.cli.common import described, open_client, print_json
from litetrack.cli.table import (
    format_duration,
    format_number,
    format_size,
    format_table,
    format_time,
)
from litetrack.client import Client


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``models`` and its subcommands."""
    from litetrack.cli import add_common

    models = sub.add_parser(
        "models", help="the model registry: versions, stages, aliases, history",
        **described("The model registry: list registered models, show their versions with "
                    "their runs' metrics, move versions between stages, point aliases, and read "
                    "the history of every change.",
                    "models ls", "models show nyc-taxi-duration"),
    )
    msub = models.add_subparsers(dest="models_command", metavar="SUBCOMMAND")
    models.set_defaults(func=lambda args: (models.print_help(), 2)[1])

    p = msub.add_parser("ls", help="list registered models", **described(
        "The registered models with their latest version, stages and aliases.",
        "models ls", "models ls --filter \"name LIKE '%%taxi%%'\""))
    p.add_argument(
        "--filter", "-f", default=None, help="e.g. \"name LIKE '%%taxi%%'\" or \"tags.team = 'ml'\""
    )
    p.add_argument("--width", type=int, default=None, help="table width (0: no trimming)")
    add_common(p)
    p.set_defaults(func=cmd_ls)

    p = msub.add_parser("show", help="the versions of a registered model, with their runs' metrics",
                        **described("The versions of one registered model, newest first, with "
                                    "their stage, aliases, their runs' metrics, duration, size "
                                    "and whether the run still exists.",
                                    "models show nyc-taxi-duration",
                                    "models show nyc-taxi-duration --metrics rmse --limit 5"))
    p.add_argument("name", help="registered model name")
    p.add_argument("--metrics", default=None, help="comma-separated metrics to show (default: all)")
    p.add_argument("--limit", "-n", type=int, default=None, help="show the N newest versions")
    p.add_argument("--width", type=int, default=None, help="table width (0: no trimming)")
    add_common(p)
    p.set_defaults(func=cmd_show)

    p = msub.add_parser("stage", help="move a version to None, Staging, Production or Archived",
                        **described("Move one version of a registered model to a stage; the "
                                    "change and its comment are kept in the history.",
                                    "models stage nyc-taxi-duration 3 Production --archive-existing "
                                    "-m \"rmse 5.91\""))
    p.add_argument("name", help="registered model name")
    p.add_argument("version", help="version number")
    p.add_argument("stage", help="None, Staging, Production or Archived (any case)")
    p.add_argument(
        "--archive-existing",
        action="store_true",
        help="move the versions already in that stage to Archived",
    )
    p.add_argument("-m", "--comment", default=None, help="why (kept in the history)")
    add_common(p)
    p.set_defaults(func=cmd_stage)

    p = msub.add_parser("alias", help="point an alias (e.g. champion) at a version, or delete it",
                        **described("Point an alias at a version (models:/NAME@ALIAS then loads "
                                    "it), or remove the alias with --delete.",
                                    "models alias nyc-taxi-duration champion 3 -m \"ship it\"",
                                    "models alias nyc-taxi-duration champion --delete"))
    p.add_argument("name", help="registered model name")
    p.add_argument("alias", help="alias name")
    p.add_argument("version", nargs="?", help="version number (omit with --delete)")
    p.add_argument("--delete", action="store_true", help="remove the alias")
    p.add_argument("-m", "--comment", default=None, help="why (kept in the history)")
    add_common(p)
    p.set_defaults(func=cmd_alias)

    p = msub.add_parser("history", help="every change of a registered model: who, when, what, why",
                        **described("Every change of a registered model, oldest first: who, "
                                    "when, which version, what moved and the comment given.",
                                    "models history nyc-taxi-duration --limit 20"))
    p.add_argument("name", help="registered model name (deleted models too)")
    p.add_argument("--limit", "-n", type=int, default=None, help="show the N latest changes")
    p.add_argument("--width", type=int, default=None, help="table width (0: no trimming)")
    add_common(p)
    p.set_defaults(func=cmd_history)


def _stages_text(mdoc: dict[str, Any]) -> str:
    parts = []
    for stage in ("Production", "Staging"):
        members = mdoc["stages"].get(stage) or {}
        if members:
            parts.append(f"{stage}: {','.join(sorted(members, key=int))}")
    return "  ".join(parts)


def _aliases_text(aliases: dict[str, int]) -> str:
    return ", ".join(f"@{a}={v}" for a, v in sorted(aliases.items()))


# -- ls --------------------------------------------------------------------------------


def cmd_ls(args: argparse.Namespace) -> int:
    """``models ls``: registered models with their latest version, stages and aliases."""
    client = open_client(args)
    if client is None:
        return 1
    from litetrack.store.registry import filters

    reg = client.store.registry
    errors: list[str] = []
    expr = filters.parse_model_filter(args.filter)
    records = [
        {
            "name": m["name"],
            "tags": m["tags"],
            "creation_timestamp": m["creation_timestamp"],
            "last_updated_timestamp": m["last_updated_timestamp"],
            "_doc": m,
        }
        for _, m in reg.iter_models(on_error=lambda path, e: errors.append(str(e)))
    ]
    docs = [
        r["_doc"] for r in filters.filter_and_sort(records, expr, [], filters.DEFAULT_MODEL_ORDER)
    ]
    for e in errors:
        print(f"error: {e}", file=sys.stderr)
    if args.json:
        print_json(
            [
                {
                    "name": m["name"],
                    "latest_version": m["latest"],
                    "stages": {s: sorted(int(v) for v in vs) for s, vs in m["stages"].items()},
                    "aliases": m["aliases"],
                    "tags": m["tags"],
                    "description": m.get("description"),
                    "creation_timestamp": m["creation_timestamp"],
                    "last_updated_timestamp": m["last_updated_timestamp"],
                }
                for m in docs
            ]
        )
        return 1 if errors else 0
    if not docs:
        print(
            "No registered models"
            + (f" matching {args.filter!r}" if args.filter else "")
            + ("" if args.filter else " (register one with litetrack.register_model(...))")
        )
        return 1 if errors else 0
    rows = [
        [
            m["name"],
            str(m["latest"]),
            _stages_text(m),
            _aliases_text(m["aliases"]),
            format_time(m["last_updated_timestamp"]),
        ]
        for m in docs
    ]
    print(
        format_table(
            ["name", "latest", "stages", "aliases", "updated"],
            rows,
            args.width,
            [False, True, False, False, False],
        )
    )
    return 1 if errors else 0


# -- show ---------------------------------------------------------------------------------


def _run_facts(client: Client, run_id: str | None, cache: dict[str, Any]) -> dict[str, Any] | None:
    """The source run's latest metrics, duration and state; None if the run is gone."""
    if not run_id:
        return None
    if run_id in cache:
        return cache[run_id]  # type: ignore[no-any-return]
    from litetrack.cli.runs import run_duration_ms
    from litetrack.errors import InvalidArgument, NotFound

    try:
        run = client.get_run(run_id)
    except (NotFound, InvalidArgument):
        facts = None
    else:
        d = run_duration_ms(run)
        facts = {
            "metrics": dict(run.data.metrics),
            "duration_s": None if d is None else d / 1000,
            "status": run.info.status,
            "deleted": run.info.lifecycle_stage == "deleted",
            "run_name": run.info.run_name,
        }
    cache[run_id] = facts
    return facts


def model_details(client: Client, name: str, limit: int | None = None) -> dict[str, Any]:
    """Everything ``models show`` prints, as a JSON-able dict."""
    from litetrack.store.registry.store import aliases_of, stage_of

    reg = client.store.registry
    key, mdoc = reg.read_model(name)
    cache: dict[str, Any] = {}
    versions: list[dict[str, Any]] = []
    for vdoc in reg.iter_versions(key):
        if limit is not None and len(versions) >= limit:
            break
        v = vdoc["version"]
        facts = _run_facts(client, vdoc.get("run_id"), cache)
        versions.append(
            {
                "version": v,
                "stage": stage_of(mdoc, v),
                "aliases": aliases_of(mdoc, v),
                "run_id": vdoc.get("run_id"),
                "run": None
                if facts is None
                else {k: facts[k] for k in ("run_name", "status", "deleted")},
                "metrics": None if facts is None else facts["metrics"],
                "duration_s": None if facts is None else facts["duration_s"],
                "size_bytes": vdoc["size"],
                "files": len(vdoc["files"]),
                "source": vdoc["source"],
                "creation_timestamp": vdoc["creation_timestamp"],
                "user_id": vdoc.get("user_id"),
                "description": vdoc.get("description"),
                "tags": vdoc["tags"],
            }
        )
    return {
        "name": mdoc["name"],
        "description": mdoc.get("description"),
        "tags": mdoc["tags"],
        "aliases": mdoc["aliases"],
        "latest_version": mdoc["latest"],
        "creation_timestamp": mdoc["creation_timestamp"],
        "last_updated_timestamp": mdoc["last_updated_timestamp"],
        "versions": versions,
    }


def cmd_show(args: argparse.Namespace) -> int:
    """``models show NAME``: one row per version with what matters for promoting it."""
    client = open_client(args)
    if client is None:
        return 1
    d = model_details(client, args.name, args.limit)
    if args.json:
        print_json(d)
        return 0
    lines = [
        f"Registered model {d['name']!r}  (created {format_time(d['creation_timestamp'])}, "
        f"updated {format_time(d['last_updated_timestamp'])})"
    ]
    if d["description"]:
        lines.append(f"  {d['description']}")
    if d["tags"]:
        lines.append("  tags: " + ", ".join(f"{k}={v}" for k, v in sorted(d["tags"].items())))
    if not d["versions"]:
        lines.append("No versions yet.")
        print("\n".join(lines))
        return 0
    if args.metrics:
        metric_keys = [m.strip() for m in args.metrics.split(",") if m.strip()]
    else:
        seen: dict[str, None] = {}
        for v in d["versions"]:
            seen.update(dict.fromkeys(sorted(v["metrics"] or {})))
        metric_keys = sorted(seen)
    headers = ["version", "stage", "aliases", *metric_keys, "duration", "size", "created", "run"]
    rows = []
    for v in d["versions"]:
        metrics = v["metrics"]
        run = v["run"]
        if v["run_id"] is None:
            run_text = "-"
        elif run is None:
            run_text = f"{v['run_id'][:8]} (gone)"
        else:
            run_text = v["run_id"][:8] + (" (deleted)" if run["deleted"] else "")
        rows.append(
            [
                str(v["version"]),
                "" if v["stage"] == "None" else v["stage"],
                ", ".join(f"@{a}" for a in v["aliases"]),
                *[
                    ("-" if metrics is None else format_number(metrics.get(k)) or "-")
                    for k in metric_keys
                ],
                format_duration(None if v["duration_s"] is None else v["duration_s"] * 1000),
                format_size(v["size_bytes"]),
                format_time(v["creation_timestamp"]),
                run_text,
            ]
        )
    right = [True, False, False, *[True] * len(metric_keys), True, True, False, False]
    lines.append(format_table(headers, rows, args.width, right))
    print("\n".join(lines))
    return 0


# -- stage / alias -------------------------------------------------------------------------


def cmd_stage(args: argparse.Namespace) -> int:
    """``models stage NAME VERSION STAGE``: a transition, optionally archiving the others."""
    client = open_client(args)
    if client is None:
        return 1
    from litetrack.entities import canonical_stage
    from litetrack.store.registry.store import stage_of, validate_version

    stage = canonical_stage(args.stage)
    version = validate_version(args.version)
    _, before = client.store.registry.read_model(args.name)
    old = stage_of(before, version)
    previously = set(before["stages"].get(stage, {}))
    mv = client.transition_model_version_stage(
        args.name,
        version,
        stage,
        archive_existing_versions=args.archive_existing,
        comment=args.comment,
    )
    _, after = client.store.registry.read_model(mv.name)
    archived = (
        sorted(
            int(v)
            for v in previously
            if v in after["stages"].get("Archived", {}) and int(v) != version
        )
        if args.archive_existing
        else []
    )
    if args.json:
        print_json(
            {
                "name": mv.name,
                "version": mv.version,
                "from": old,
                "to": mv.current_stage,
                "archived": archived,
                "comment": args.comment,
            }
        )
        return 0
    text = f"{mv.name}: version {mv.version} {old} -> {mv.current_stage}"
    if archived:
        text += f" (archived: {', '.join(map(str, archived))})"
    print(text)
    return 0


def cmd_alias(args: argparse.Namespace) -> int:
    """``models alias NAME ALIAS VERSION`` (or ``--delete``)."""
    client = open_client(args)
    if client is None:
        return 1
    from litetrack.errors import InvalidArgument

    _, before = client.store.registry.read_model(args.name)
    old = before["aliases"].get(args.alias)
    if args.delete:
        if args.version is not None:
            raise InvalidArgument("Pass no version with --delete")
        removed = client.store.registry.delete_alias(args.name, args.alias, args.comment)
        if args.json:
            print_json(
                {
                    "name": args.name,
                    "alias": args.alias,
                    "from": old,
                    "to": None,
                    "removed": removed,
                }
            )
        elif removed:
            print(f"{args.name}: @{args.alias} removed (was version {old})")
        else:
            print(f"{args.name}: no alias @{args.alias} to remove")
        return 0
    if args.version is None:
        raise InvalidArgument("Pass the VERSION the alias should point at (or --delete)")
    client.set_registered_model_alias(args.name, args.alias, args.version, comment=args.comment)
    new = client.get_model_version_by_alias(args.name, args.alias).version
    if args.json:
        print_json({"name": args.name, "alias": args.alias, "from": old, "to": new})
    else:
        moved = f" (was version {old})" if old is not None and old != new else ""
        print(f"{args.name}: @{args.alias} -> version {new}{moved}")
    return 0


# -- history ------------------------------------------------------------------------------


def _value_text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "source" in value:
        # create_version / delete_version: the source says most.
        extra = [format_size(value["size"])] if value.get("size") is not None else []
        if value.get("stage") not in (None, "None"):
            extra.append(str(value["stage"]))
        extra += [f"@{a}" for a in value.get("aliases") or ()]
        return f"{value['source']}" + (f" ({', '.join(extra)})" if extra else "")
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def cmd_history(args: argparse.Namespace) -> int:
    """``models history NAME``: the registry history of one model, oldest first."""
    client = open_client(args)
    if client is None:
        return 1
    records = client.get_registered_model_history(args.name)
    if args.limit is not None:
        records = records[-args.limit :] if args.limit > 0 else []
    if args.json:
        print_json(records)
        return 0
    if not records:
        print(f"No history for a registered model named {args.name!r}")
        return 1
    rows = []
    for r in records:
        what = r.get("action", "?")
        if r.get("alias"):
            what += f" @{r['alias']}"
        rows.append(
            [
                format_time(r.get("time")),
                str(r.get("user") or "-"),
                "" if r.get("version") is None else str(r["version"]),
                what,
                f"{_value_text(r.get('from'))} -> {_value_text(r.get('to'))}",
                r.get("comment") or "",
            ]
        )
    print(
        format_table(
            ["time", "user", "version", "action", "from -> to", "comment"],
            rows,
            args.width,
            [False, False, True, False, False, False],
        )
    )
    return 0
