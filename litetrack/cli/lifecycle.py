"""``rm`` and ``restore``: soft-delete runs or experiments, and bring them back."""

from __future__ import annotations

import argparse
import sys

from litetrack.cli.common import examples, open_client, print_json
from litetrack.client import Client
from litetrack.errors import InvalidState


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``rm`` and ``restore``."""
    from litetrack.cli import add_common

    for name, verb, func, helptext, description in (
        (
            "rm",
            "delete",
            cmd_rm,
            "soft-delete runs (or experiments with -e); restorable until gc",
            "Mark runs (or, with --experiment, experiments) as deleted. Nothing is removed: "
            "`restore` brings them back, `ls --all` still lists them, and `gc` removes them for "
            "good once they have been deleted longer than its --older-than (30 days by default).",
        ),
        (
            "restore",
            "restore",
            cmd_restore,
            "bring back soft-deleted runs (or experiments with -e)",
            "Restore runs (or, with --experiment, experiments) deleted with `rm` and not yet "
            "removed by `gc`. `ls EXPERIMENT --all` shows deleted runs.",
        ),
    ):
        p = sub.add_parser(
            name,
            help=helptext,
            description=description,
            epilog=examples(f"{name} 3f2a9c1d 77b0e4aa", f"{name} --experiment old-sweep"),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument(
            "ids",
            nargs="+",
            metavar="ID",
            help="run ids (unique prefixes are enough), or experiment names/ids with -e",
        )
        p.add_argument(
            "--experiment",
            "-e",
            action="store_true",
            help=f"{verb} experiments (by name or id) instead of runs",
        )
        add_common(p)
        p.set_defaults(func=func)


def _change(client: Client, args: argparse.Namespace, delete: bool) -> int:
    from litetrack.cli.runs import resolve_experiment, resolve_run_id

    done: list[dict[str, str]] = []
    problems: list[str] = []
    for text in args.ids:
        try:
            if args.experiment:
                exp = resolve_experiment(client, text)
                (client.delete_experiment if delete else client.restore_experiment)(
                    exp.experiment_id
                )
                done.append({"experiment_id": exp.experiment_id, "name": exp.name})
            else:
                run_id = resolve_run_id(client, text)
                run = client.get_run(run_id)
                stage = run.info.lifecycle_stage
                if (stage == "deleted") == delete:
                    state = "deleted" if delete else "active"
                    raise InvalidState(f"Run {run_id} ({run.info.run_name}) is already {state}")
                (client.delete_run if delete else client.restore_run)(run_id)
                done.append({"run_id": run_id, "name": run.info.run_name or ""})
        except (LookupError, InvalidState) as e:
            problems.append(str(e))
    if args.json:
        print_json({"deleted" if delete else "restored": done, "errors": problems})
    else:
        kind = "experiment" if args.experiment else "run"
        for d in done:
            ident = d.get("run_id") or d.get("experiment_id")
            print(f"{'Deleted' if delete else 'Restored'} {kind} {ident} ({d['name']})")
        if done and delete:
            flag = " -e" if args.experiment else ""
            print(
                f"Undo with `python -m litetrack restore{flag} {' '.join(args.ids)}`; "
                "`gc` removes deleted items for good after 30 days."
            )
        for p in problems:
            print(f"error: {p}", file=sys.stderr)
    return 1 if problems else 0


def cmd_rm(args: argparse.Namespace) -> int:
    """``rm ID... [-e]``."""
    client = open_client(args)
    return 1 if client is None else _change(client, args, delete=True)


def cmd_restore(args: argparse.Namespace) -> int:
    """``restore ID... [-e]``."""
    client = open_client(args)
    return 1 if client is None else _change(client, args, delete=False)
