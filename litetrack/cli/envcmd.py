"""``env``: Python environments of runs (and models) from the terminal.

``env diff RUN_A [RUN_B]`` lists packages added, removed and changed from
run A's captured environment to run B's, or to the running interpreter when
B is omitted. ``env check MODEL_URI`` compares the running interpreter with a
model's environment files; ``env restore MODEL_URI --venv DIR`` builds a
virtualenv that matches the model's ``requirements.txt`` (pip-tools). Each
subcommand is one ``add_*`` function in :data:`ENV_COMMANDS` that registers
its parser (with ``func`` set), so a new one is a function and a line in
that list.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from litetrack.cli.common import described, open_client, print_json


def add_diff(env_sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``env diff RUN_A [RUN_B]``."""
    from litetrack.cli import add_common

    p = env_sub.add_parser(
        "diff",
        help="packages added, removed and changed between two runs (or a run and this interpreter)",
        **described("Compare the Python environment captured by run RUN_A with run RUN_B's, or "
                    "with the interpreter running this command when RUN_B is omitted.",
                    "env diff 3f2a9c1d 77b0e4aa", "env diff 3f2a9c1d --exit-code"),
    )
    p.add_argument("run_a", metavar="RUN_A", help="run id (a unique prefix is enough)")
    p.add_argument("run_b", metavar="RUN_B", nargs="?", help="run id; default: this interpreter")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when the environments differ")
    add_common(p)
    p.set_defaults(func=cmd_diff)


def add_check(env_sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``env check MODEL_URI``."""
    from litetrack.cli import add_common

    p = env_sub.add_parser(
        "check",
        help="compare this interpreter with a model's environment (Python, each requirement)",
        **described("List how the running interpreter differs from what the model at MODEL_URI "
                    "was saved with: Python version, and each line of its requirements.txt "
                    "(missing, or installed in another version). Exits 1 when a difference can "
                    "break loading the model.",
                    "env check models:/nyc-taxi-duration/Production"),
    )
    p.add_argument(
        "model_uri",
        metavar="MODEL_URI",
        help="runs:/<run_id>/<path>, models:/<name>/<version>, or a model folder",
    )
    add_common(p)
    p.set_defaults(func=cmd_check)


def add_restore(env_sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``env restore MODEL_URI --venv DIR [--find-links DIR] [--no-index]``."""
    from litetrack.cli import add_common

    p = env_sub.add_parser(
        "restore",
        help="build a virtualenv matching a model's requirements.txt exactly (pip-tools)",
        **described("Create (or re-sync) the virtualenv DIR so that its packages match the "
                    "model's requirements.txt exactly: pip-compile resolves it, pip-sync installs "
                    "what is missing, fixes versions and removes the rest. Needs pip-tools "
                    "(litetrack[env]). Works offline with --find-links to a folder of wheels and "
                    "--no-index.",
                    "env restore models:/nyc-taxi-duration/Production --venv ./venv-taxi",
                    "env restore runs:/3f2a9c1d/model --venv ./v --find-links ./wheels --no-index"),
    )
    p.add_argument(
        "model_uri",
        metavar="MODEL_URI",
        help="runs:/<run_id>/<path>, models:/<name>/<version>, or a model folder",
    )
    p.add_argument(
        "--venv", required=True, metavar="DIR", help="virtualenv folder (created if missing)"
    )
    p.add_argument("--find-links", metavar="DIR", help="folder (or URL) of wheels to install from")
    p.add_argument("--no-index", action="store_true", help="do not use the package index")
    p.add_argument(
        "--no-resolve",
        action="store_true",
        help="sync requirements.txt as it is (it is already a complete lock)",
    )
    add_common(p, json_flag=False)
    p.set_defaults(func=cmd_restore)


#: Subcommand registrars of ``env``, in help order.
ENV_COMMANDS: list[Callable[[Any], None]] = [add_diff, add_check, add_restore]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``env`` command group."""
    p = sub.add_parser("env", help="environments: diff two runs, check or restore a model's",
                       **described("The Python environments captured with runs and saved with "
                                   "models: compare two, check this interpreter against a "
                                   "model's, or build a virtualenv that matches it.",
                                   "env diff 3f2a9c1d 77b0e4aa",
                                   "env check models:/nyc-taxi-duration/Production"))
    env_sub = p.add_subparsers(dest="env_command", metavar="SUBCOMMAND")
    for add in ENV_COMMANDS:
        add(env_sub)

    def usage(args: argparse.Namespace) -> int:
        p.print_help()
        return 2

    p.set_defaults(func=usage)


def run_environment(client: Any, run_id: str) -> dict[str, Any]:
    """The environment captured by a run (blob verified); NotFound if it has none."""
    from litetrack.capture import load_environment
    from litetrack.errors import NotFound

    env = load_environment(run_id, client.store)
    if env is None:
        raise NotFound(
            f"Run {run_id} has no captured environment (it was started with "
            "capture_environment=False, LITETRACK_CAPTURE_ENV=0, or through Client.create_run)"
        )
    return env


def cmd_diff(args: argparse.Namespace) -> int:
    """``env diff RUN_A [RUN_B] [--exit-code]``."""
    from litetrack.cli.runs import resolve_run_id
    from litetrack.environment import capture_environment, diff_environments, format_env_diff

    client = open_client(args)
    if client is None:
        return 1
    run_a = resolve_run_id(client, args.run_a)
    env_a = run_environment(client, run_a)
    run_b: str | None = None
    if args.run_b:
        run_b = resolve_run_id(client, args.run_b)
        env_b = run_environment(client, run_b)
        label_b = f"run {run_b}"
    else:
        run_b = None
        env_b = capture_environment()
        label_b = f"this interpreter ({env_b['python']['executable']})"
    diff = diff_environments(env_a, env_b)
    if args.json:
        print_json(
            {
                "a": run_a,
                "b": run_b,
                "added": diff.added,
                "removed": diff.removed,
                "changed": {k: list(v) for k, v in diff.changed.items()},
                "python": {k: list(v) for k, v in diff.python.items()},
                "platform": {k: list(v) for k, v in diff.platform.items()},
            }
        )
    else:
        print(f"Environment of run {run_a} -> {label_b}")
        print(format_env_diff(diff))
    return 1 if diff and args.exit_code else 0


def _model_folder(args: argparse.Namespace) -> Any:
    """The model's folder, its environment files checked against their recorded digests."""
    from litetrack.models.base import open_model
    from litetrack.models.envfiles import CONDA_FILE, PYTHON_ENV_FILE, REQUIREMENTS_FILE

    uri = args.model_uri
    store = None
    if uri.startswith(("runs:", "models:")):
        client = open_client(args)
        if client is None:
            return None
        store = client.store
    md = open_model(uri, store)
    # A restore installs what requirements.txt names: a modified file must not get that far.
    for name in (REQUIREMENTS_FILE, PYTHON_ENV_FILE, CONDA_FILE):
        if (md.path / name).is_file():
            md.verify(name)
    return md.path


def cmd_check(args: argparse.Namespace) -> int:
    """``env check MODEL_URI [--json]``: 1 when a difference can break loading the model."""
    from litetrack.models.envfiles import check_environment, format_check

    folder = _model_folder(args)
    if folder is None:
        return 1
    mismatches = check_environment(folder)
    if args.json:
        print_json(
            {
                "model": args.model_uri,
                "matches": not mismatches,
                "mismatches": [
                    {
                        "kind": m.kind,
                        "name": m.name,
                        "required": m.required,
                        "installed": m.installed,
                        "error": m.is_error,
                    }
                    for m in mismatches
                ],
            }
        )
    else:
        print(format_check(mismatches, args.model_uri))
    return 1 if any(m.is_error for m in mismatches) else 0


def cmd_restore(args: argparse.Namespace) -> int:
    """``env restore MODEL_URI --venv DIR [--find-links DIR] [--no-index] [--no-resolve]``."""
    import os

    from litetrack.models.envfiles import restore_environment

    folder = _model_folder(args)
    if folder is None:
        return 1
    restore_environment(
        folder,
        args.venv,
        find_links=args.find_links,
        no_index=args.no_index,
        resolve=not args.no_resolve,
    )
    python = os.path.join(args.venv, "Scripts" if os.name == "nt" else "bin", "python")
    print(f"environment of {args.model_uri} restored into {args.venv}; run the model with {python}")
    return 0
