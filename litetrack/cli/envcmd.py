"""``env``: Python environments of runs (and models) from the terminal.

``env diff RUN_A [RUN_B]`` lists packages added, removed and changed from
run A's captured environment to run B's, or to the running interpreter when
B is omitted. Each subcommand is one ``add_*`` function in
:data:`ENV_COMMANDS` that registers its parser (with ``func`` set), so a new
one (``env check MODEL_URI``, ``env restore MODEL_URI --venv DIR``) is a
function and a line in that list.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from litetrack.cli.common import open_client, print_json


def add_diff(env_sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``env diff RUN_A [RUN_B]``."""
    from litetrack.cli import add_common

    p = env_sub.add_parser(
        "diff",
        help="packages added, removed and changed between two runs (or a run and this interpreter)",
        description="Compare the Python environment captured by run RUN_A with run RUN_B's, or "
        "with the interpreter running this command when RUN_B is omitted.",
    )
    p.add_argument("run_a", metavar="RUN_A", help="run id (a unique prefix is enough)")
    p.add_argument("run_b", metavar="RUN_B", nargs="?", help="run id; default: this interpreter")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when the environments differ")
    add_common(p)
    p.set_defaults(func=cmd_diff)


#: Subcommand registrars of ``env``, in help order.
ENV_COMMANDS: list[Callable[[Any], None]] = [add_diff]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``env`` command group."""
    p = sub.add_parser("env", help="compare (and check) Python environments of runs")
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
