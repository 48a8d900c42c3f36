"""``python -m litetrack``: the command line.

``main(argv=None) -> int`` parses and dispatches; tests call it in-process.
Each command group lives in its own module with a ``register(subparsers)``
function; registering imports nothing heavy.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from litetrack.errors import LitetrackError

# Command modules, each with register(subparsers). Order is the help order.
COMMAND_MODULES = [
    "litetrack.cli.runs",
    "litetrack.cli.compare",
    "litetrack.cli.maintenance",
    "litetrack.cli.models",
    "litetrack.cli.envcmd",
    "litetrack.cli.importer",
    "litetrack.cli.remote",
    "litetrack.cli.ui",
    "litetrack.cli.projects",
    "litetrack.cli.artifacts",
    "litetrack.cli.lifecycle",
    "litetrack.cli.completion",
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="python -m litetrack",
        description="litetrack: local-first experiment tracking and model registry.",
    )
    parser.add_argument(
        "--store",
        metavar="PATH",
        help="store folder (default: LITETRACK_STORE, else the user data folder)",
    )
    parser.add_argument("--version", action="version", version=f"litetrack {_version()}")
    parser.add_argument("--no-pager", action="store_true", default=False,
                        help="never page long output (default: page on a terminal, as git does)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def add_common(p: argparse.ArgumentParser, json_flag: bool = True) -> None:
    """Options every command takes: ``--store`` and ``--no-pager`` (after the command too), ``--json``."""
    p.add_argument("--store", metavar="PATH", default=argparse.SUPPRESS, help="store folder")
    p.add_argument("--no-pager", action="store_true", default=argparse.SUPPRESS,
                   help="print long output directly instead of through a pager")
    if json_flag:
        p.add_argument("--json", action="store_true", help="machine-readable JSON output")


def _version() -> str:
    """The version of the litetrack package in use."""
    # The imported tree's own version (an editable install's metadata can
    # name another checkout).
    import litetrack

    return litetrack.__version__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    # The CLI, not the library, decides how log records are shown.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except LitetrackError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except PermissionError as e:
        # A store (or a file in it) this user may not read or write: name the
        # file and what was refused, not a traceback.
        where = f" on {e.filename!r}" if e.filename else ""
        print(f"error: permission denied{where}: {e.strerror or e}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
