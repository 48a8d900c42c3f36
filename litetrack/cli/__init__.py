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
    "litetrack.cli.ui",
    "litetrack.cli.projects",
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def add_common(p: argparse.ArgumentParser, json_flag: bool = True) -> None:
    """Options every command takes: ``--store`` (after the command too) and ``--json``."""
    p.add_argument("--store", metavar="PATH", default=argparse.SUPPRESS, help="store folder")
    if json_flag:
        p.add_argument("--json", action="store_true", help="machine-readable JSON output")


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
    except BrokenPipeError:
        return 0
