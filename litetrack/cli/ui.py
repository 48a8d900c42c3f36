"""``ui``: the local web UI; ``report``: one self-contained HTML file of an experiment."""

from __future__ import annotations

import argparse
import sys

from litetrack.cli.common import described


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``ui`` and ``report``."""
    from litetrack.cli import add_common

    p = sub.add_parser(
        "ui",
        help="browse, chart, compare and promote in a local web page",
        **described(
            "Serve the store as a local web page (experiments, runs with filters and charts, "
            "run pages, compare, the model registry with stage and alias actions) and open "
            "the browser. Binds to 127.0.0.1; any other --host needs the token it prints. "
            "Needs the 'ui' extra.",
            "ui",
            "ui --store ./store --read-only --port 8080 --no-browser",
        ),
    )
    p.add_argument("--port", type=int, default=5000, help="port (default 5000; 0 picks a free one)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1; any other needs the printed token)",
    )
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument(
        "--read-only", action="store_true", help="no actions (stage, alias, edit, delete)"
    )
    add_common(p, json_flag=False)
    p.set_defaults(func=cmd_ui)

    p = sub.add_parser(
        "report",
        help="write one self-contained HTML report of an experiment",
        **described(
            "Write one HTML file (runs table, charts, compare view; data and scripts inlined) "
            "that opens in a browser without litetrack or a server.",
            "report nyc-taxi -o report.html",
            'report nyc-taxi --filter "metrics.rmse < 6.5" --sort metrics.rmse -o best.html',
        ),
    )
    p.add_argument("experiment", help="experiment name or id")
    p.add_argument("--filter", "-f", default="", help='filter string, e.g. "metrics.rmse < 6.5"')
    p.add_argument("--sort", "-s", action="append", default=None, help="order by (repeatable)")
    p.add_argument("--limit", "-n", type=int, default=500, help="at most N runs (default 500)")
    p.add_argument(
        "--output", "-o", default="report.html", help="output file (default report.html)"
    )
    add_common(p, json_flag=False)
    p.set_defaults(func=cmd_report)


def _missing_extra(e: ImportError) -> int:
    print(
        f"error: the web UI needs the 'ui' extra ({e.name} is missing): "
        "pip install 'litetrack[ui]'",
        file=sys.stderr,
    )
    return 1


def cmd_ui(args: argparse.Namespace) -> int:
    """``ui``: serve the store until Ctrl-C."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        return _missing_extra(e)
    from litetrack.cli.common import open_client
    from litetrack.ui.server import serve

    client = open_client(args)
    if client is None:
        return 1
    serve(client.tracking_uri, args.host, args.port, args.read_only, not args.no_browser)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """``report``: write the HTML file and print its path."""
    from litetrack.cli.common import open_client
    from litetrack.ui.report import write_report

    client = open_client(args)
    if client is None:
        return 1
    path = write_report(client, args.experiment, args.output, args.filter, args.sort, args.limit)
    print(f"wrote {path}")
    return 0
