"""``import-mlflow PATH``: bring an MLflow ``mlruns`` folder into the store."""

from __future__ import annotations

import argparse

from litetrack.cli.common import described, print_json
from litetrack.cli.progress import progress_bar


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``import-mlflow``."""
    from litetrack.cli import add_common

    p = sub.add_parser(
        "import-mlflow",
        help="import an MLflow file store (mlruns/) without MLflow: runs, metrics, artifacts, models, registry",
        **described("Read an MLflow file store (mlruns/) and write its experiments, runs "
                    "(params, metrics with their history, tags, inputs), artifacts, models and "
                    "model registry into the litetrack store. MLflow itself is not needed. "
                    "Importing again skips what was already imported.",
                    "import-mlflow ./mlruns --dry-run", "import-mlflow ./mlruns --experiment nyc-taxi"),
    )
    p.add_argument("path", help="the mlruns folder (or a folder holding one)")
    p.add_argument("--experiment", action="append", default=None, metavar="NAME",
                   help="import only this experiment (name or MLflow id; repeatable)")
    p.add_argument("--dry-run", action="store_true", help="print what would be imported, write nothing")
    add_common(p)
    p.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    """Run the import and print its summary; exit 1 when something was skipped."""
    from litetrack.importers.mlflow_import import import_mlflow
    from litetrack.store.core import get_store
    from litetrack.store.location import current_store_path, path_from_uri

    store_arg = getattr(args, "store", None)
    dest = path_from_uri(store_arg) if store_arg else current_store_path()
    with progress_bar("import-mlflow") as progress:
        summary = import_mlflow(args.path, get_store(dest), args.experiment, args.dry_run, progress)
    if args.json:
        print_json({"store": str(dest), "dry_run": args.dry_run, **summary.to_dict()})
    else:
        print(("Dry run: nothing written. " if args.dry_run else "") + f"{args.path} -> {dest}")
        print("\n".join(summary.lines(args.dry_run)))
    return 1 if summary.problems or summary.runs_failed else 0
