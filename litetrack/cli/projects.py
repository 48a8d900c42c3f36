"""``run`` and ``rerun``: run a project as a tracked run, or run a recorded run again.

``run URI [-e ENTRY] [-P key=value ...] [--version COMMIT] [--env-manager local|virtualenv]``
runs a project folder or git repository (MLflow's ``mlflow run``);
``rerun RUN_ID [-P key=value ...]`` runs what a past run ran, from its
captured source and packages. Both exit 0 when the run FINISHED, 1 when it
failed, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

from litetrack.cli.common import described, open_client


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    return key, value


def _add_shared(p: argparse.ArgumentParser) -> None:
    from litetrack.cli import add_common

    p.add_argument(
        "-P",
        "--param",
        dest="params",
        action="append",
        type=_key_value,
        default=[],
        metavar="KEY=VALUE",
        help="a parameter (repeatable); undeclared ones are passed as --KEY VALUE",
    )
    p.add_argument("--experiment-name", metavar="NAME", help="experiment (created if missing)")
    p.add_argument("--run-name", metavar="NAME", help="name of the new run")
    p.add_argument("--find-links", metavar="DIR", help="folder (or URL) of wheels for pip")
    p.add_argument("--no-index", action="store_true", help="do not use the package index")
    add_common(p, json_flag=False)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``run`` and ``rerun`` commands."""
    p = sub.add_parser(
        "run",
        help="run a project (folder or git repository with an MLproject) as a tracked run",
        **described(
            "Run an entry point of the project at URI (a folder, or a git repository "
            "path or URL; URI#sub/dir for a folder inside it) as a new run. The run is created "
            "first and handed to the command (LITETRACK_RUN_ID, MLFLOW_RUN_ID), so start_run() "
            "in the entry point continues it.",
            "run examples/taxi-project -P alpha=0.5",
            "run https://example.org/team/trainer.git --version 3f2a9c1 -e train "
            "--env-manager virtualenv",
        ),
    )
    p.add_argument("uri", metavar="URI", help="project folder or git repository")
    p.add_argument(
        "-e", "--entry-point", default="main", help="entry point or script (default: main)"
    )
    p.add_argument("-v", "--version", metavar="COMMIT", help="git commit, branch or tag to run")
    p.add_argument("--experiment-id", metavar="ID", help="experiment id")
    p.add_argument(
        "--env-manager",
        choices=["local", "virtualenv"],
        help="where the command runs: this interpreter, or a virtualenv built from python_env.yaml "
        "(default: virtualenv when the project has a python_env)",
    )
    _add_shared(p)
    p.set_defaults(func=cmd_run)

    r = sub.add_parser(
        "rerun",
        help="run again what a recorded run ran (its captured source, packages and parameters)",
        **described(
            "Re-run RUN_ID from its captured source (git commit plus recorded diff, or the "
            "script's content) in a virtualenv rebuilt from its captured packages, with its "
            "parameters (override with -P). The new run is tagged litetrack.rerun_of=RUN_ID.",
            "rerun 3f2a9c1d",
            "rerun 3f2a9c1d -P alpha=0.1 --env-manager local",
        ),
    )
    r.add_argument("run_id", metavar="RUN_ID", help="run id (a unique prefix is enough)")
    r.add_argument(
        "--env-manager",
        choices=["local", "virtualenv"],
        default="virtualenv",
        help="virtualenv from the run's captured packages (default), or this interpreter",
    )
    _add_shared(r)
    r.set_defaults(func=cmd_rerun)


def _sigterm_as_interrupt() -> Any:
    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (in-process callers)
        return None


def _report(submitted: Any) -> int:
    status = submitted.get_status()
    print(f"run {submitted.run_id} {status} (exit code {submitted.exit_code})", file=sys.stderr)
    return 0 if status == "FINISHED" else 1


def _execute(start: Any) -> int:
    previous = _sigterm_as_interrupt()
    submitted = None
    try:
        submitted = start()
        submitted.wait()
        return _report(submitted)
    except KeyboardInterrupt:
        from litetrack.projects.runner import live_submissions

        # The interrupt may land after the command started but before its
        # SubmittedRun was handed back here: cancel whatever this process started.
        for each in [submitted] if submitted is not None else live_submissions():
            each.cancel()
            print(f"run {each.run_id} KILLED", file=sys.stderr)
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def cmd_run(args: argparse.Namespace) -> int:
    """``run URI ...``."""
    from litetrack.projects import run

    client = open_client(args, must_exist=False)
    if client is None:
        return 1
    return _execute(
        lambda: run(
            args.uri,
            entry_point=args.entry_point,
            version=args.version,
            parameters=dict(args.params),
            experiment_name=args.experiment_name,
            experiment_id=args.experiment_id,
            run_name=args.run_name,
            env_manager=args.env_manager,
            synchronous=False,
            tracking_uri=str(client.store.root),
            find_links=args.find_links,
            no_index=args.no_index,
        )
    )


def cmd_rerun(args: argparse.Namespace) -> int:
    """``rerun RUN_ID ...``."""
    from litetrack.cli.runs import resolve_run_id
    from litetrack.projects import rerun

    client = open_client(args)
    if client is None:
        return 1
    run_id = resolve_run_id(client, args.run_id)
    return _execute(
        lambda: rerun(
            run_id,
            parameters=dict(args.params),
            env_manager=args.env_manager,
            experiment_name=args.experiment_name,
            run_name=args.run_name,
            synchronous=False,
            tracking_uri=str(client.store.root),
            find_links=args.find_links,
            no_index=args.no_index,
        )
    )
