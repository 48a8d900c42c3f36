"""``ls`` and ``show``: experiments and runs in the terminal."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from typing import Any

from litetrack import clock
from litetrack.cli.common import examples, open_client, print_json
from litetrack.cli.table import format_duration, format_number, format_time, page, print_table
from litetrack.client import Client
from litetrack.entities import Experiment, Run, ViewType
from litetrack.errors import ExperimentNotFound, InvalidArgument, RunNotFound
from litetrack.store.runs import effective_status, view_metric


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``ls`` and ``show``."""
    from litetrack.cli import add_common

    p = sub.add_parser(
        "ls",
        help="list experiments, or the runs of one experiment",
        description="Without EXPERIMENT: the experiments with their run counts. With one: its "
        "runs, newest first (id, name, status, start, duration, model size, the latest metrics "
        "and the params). On a terminal the table fits its width (extra columns move to a "
        "second table) and long listings go through a pager; piped output is never cut.",
        epilog=examples(
            'ls nyc-taxi --filter "metrics.rmse < 6.5" --sort metrics.rmse --limit 10',
            "ls nyc-taxi --sort \"duration DESC\" --columns name,duration,metrics.rmse --csv",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("experiment", nargs="?", help="experiment name or id")
    p.add_argument("--filter", "-f", default="", help="filter string, e.g. \"metrics.rmse < 6.5\"")
    p.add_argument("--sort", "-s", action="append", default=None,
                   help="order by any column shown (name, status, start, duration, model_size, "
                   "metrics.KEY, params.KEY ...), with DESC for descending, e.g. \"metrics.rmse\" "
                   "or \"duration DESC\" (repeatable)")
    p.add_argument("--limit", "-n", type=int, default=None, help="show at most N runs")
    p.add_argument("--columns", "-c", default=None,
                   help="comma-separated columns, e.g. \"metrics.rmse,params.max_depth,duration\"")
    p.add_argument("--all", action="store_true",
                   help="include deleted runs (marked 'deleted') / experiments")
    p.add_argument("--csv", action="store_true", help="CSV output")
    p.add_argument("--width", type=int, default=None,
                   help="table width (default: the terminal's; 0: one table, nothing cut)")
    add_common(p)
    p.set_defaults(func=cmd_ls)

    p = sub.add_parser(
        "show",
        help="show one run in full",
        description="One run in full: its experiment, status, times, params, metrics (latest, "
        "min, max, count), tags, inputs, artifacts, source and environment.",
        epilog=examples("show 3f2a9c1d", "show 3f2a9c1d --json | jq .metrics"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_id", help="run id (a unique prefix is enough)")
    add_common(p)
    p.set_defaults(func=cmd_show)


# -- resolution -------------------------------------------------------------------


def resolve_experiment(client: Client, text: str) -> Experiment:
    """An experiment by exact name, else by id."""
    exp = client.get_experiment_by_name(text)
    if exp is not None:
        return exp
    try:
        return client.get_experiment(text)
    except (ExperimentNotFound, InvalidArgument):
        names = [e.name for e in client.search_experiments(ViewType.ALL)]
        raise ExperimentNotFound(
            f"No experiment named or numbered {text!r}; experiments: {', '.join(names) or 'none'}"
        ) from None


def resolve_run_id(client: Client, text: str) -> str:
    """A run id from a full id or a unique prefix of one."""
    runs = client.store.runs
    try:
        if runs.exists(text):
            return text
    except InvalidArgument:
        raise RunNotFound(f"No run with id {text!r}") from None
    found = [rid for rid in runs.iter_ids() if rid.startswith(text)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise RunNotFound(f"No run with id or id prefix {text!r} in store {client.tracking_uri!r}")
    raise RunNotFound(f"Run id prefix {text!r} is ambiguous: {', '.join(sorted(found)[:5])} ...")


# -- ls ---------------------------------------------------------------------------------


def _ls_experiments(client: Client, args: argparse.Namespace) -> int:
    view = ViewType.ALL if args.all else ViewType.ACTIVE_ONLY
    exps = list(client.search_experiments(view))
    counts = client.store.run_counts()
    if args.json:
        print_json([
            {
                "experiment_id": e.experiment_id,
                "name": e.name,
                "lifecycle_stage": e.lifecycle_stage,
                "runs": counts.get(e.experiment_id, 0),
                "creation_time": e.creation_time,
                "tags": e.tags,
            }
            for e in exps
        ])
        return 0
    rows = [
        [e.experiment_id, e.name, str(counts.get(e.experiment_id, 0)), format_time(e.creation_time)]
        + (["deleted" if e.lifecycle_stage == "deleted" else ""] if args.all else [])
        for e in exps
    ]
    headers = ["id", "name", "runs", "created"] + (["state"] if args.all else [])
    print_table(headers, rows, args, [False, False, True, False, False], keep=2)
    return 0


def run_duration_ms(run: Run) -> float | None:
    """End minus start; for a live run, now minus start."""
    return _duration_ms(run.info.start_time, run.info.end_time, run.info.status)


def _duration_ms(start: int | None, end: int | None, status: str) -> float | None:
    if start is None:
        return None
    if end is None:
        if status != "RUNNING":
            return None
        end = clock.now_ms()
    return float(end - start)


# ``ls`` works on run views (``store.search.query_run_views``), not Run
# entities: building 10,000 Runs cost as much as the query.
View = dict[str, Any]


def _view_duration_ms(view: View) -> float | None:
    return _duration_ms(view.get("start_time"), view.get("end_time"), effective_status(view))


def _view_sizes(view: View) -> tuple[int, int]:
    sizes = view.get("sizes")
    return (sizes[0], sizes[1]) if sizes else (0, 0)


def _stage(view: View) -> str:
    return view.get("lifecycle_stage") or "active"


def column_getter(column: str) -> Any:
    """A function view -> (raw value, display text) for a named column (built once a listing)."""
    for prefix, attr in (("metrics.", "metrics"), ("params.", "params"), ("tags.", "tags")):
        if column.startswith(prefix):
            key = column[len(prefix):]
            if attr == "metrics":
                def metric(view: View, key: str = key) -> tuple[Any, str]:
                    v = (view["metrics"] or _EMPTY).get(key, _MISSING)
                    if type(v) is float:
                        return v, f"{v:.6g}" if v == v else "nan"
                    if v is _MISSING:
                        return None, ""
                    v = view_metric(v)
                    return v, format_number(v)
                return metric

            def text(view: View, key: str = key, attr: str = attr) -> tuple[Any, str]:
                v = (view[attr] or _EMPTY).get(key)
                return v, v or ""
            return text
    fast = _FAST_GETTERS.get(column)
    if fast is not None:
        return fast
    column_value(None, column)  # unknown columns raise here, before any row is built
    return lambda view: column_value(view, column)


_EMPTY: dict[str, Any] = {}
_MISSING = object()


def _start_cell(view: View) -> tuple[Any, str]:
    start = view.get("start_time")
    return start, format_time(start)


def _duration_cell(view: View) -> tuple[Any, str]:
    d = _view_duration_ms(view)
    return (None if d is None else d / 1000), format_duration(d)


def _status_cell(view: View) -> tuple[Any, str]:
    status = effective_status(view)
    return status, status


# The default columns, without going through column_value's chain of tests
# (a 10,000-run listing builds 50,000 of these cells).
_FAST_GETTERS: dict[str, Any] = {
    "run_id": lambda view: (view["run_id"], view["run_id"][:8]),
    "name": lambda view: (view.get("run_name"), view.get("run_name") or ""),
    "status": _status_cell,
    "start": _start_cell,
    "duration": _duration_cell,
}


def column_value(view: View | None, column: str, client: Client | None = None) -> tuple[Any, str]:
    """The raw value and display text of a named column for one run view."""
    if view is None:
        if column in _RUN_COLUMNS or column.startswith(("metrics.", "params.", "tags.")):
            return None, ""
        raise InvalidArgument(
            f"Unknown column {column!r}: use run_id, name, status, start, end, duration, "
            "size, model_size, metrics.KEY, params.KEY or tags.KEY"
        )
    if column in ("run_id", "id"):
        return view["run_id"], view["run_id"][:8]
    if column in ("name", "run_name"):
        return view.get("run_name"), view.get("run_name") or ""
    if column == "status":
        return _status_cell(view)
    if column in ("start", "start_time"):
        return _start_cell(view)
    if column in ("end", "end_time"):
        return view.get("end_time"), format_time(view.get("end_time"))
    if column == "duration":
        return _duration_cell(view)
    if column in ("size", "artifact_size", "model_size"):
        from litetrack.cli.table import format_size

        size = _view_sizes(view)[1 if column == "model_size" else 0]
        return size, format_size(size)
    if column.startswith(("metrics.", "params.", "tags.")):
        return column_getter(column)(view)  # type: ignore[no-any-return]
    if column in ("user", "user_id"):
        return view.get("user_id"), view.get("user_id") or ""
    raise InvalidArgument(
        f"Unknown column {column!r}: use run_id, name, status, start, end, duration, "
        "size, model_size, metrics.KEY, params.KEY or tags.KEY"
    )


_RUN_COLUMNS = frozenset([
    "run_id", "id", "name", "run_name", "status", "start", "start_time", "end", "end_time",
    "duration", "size", "artifact_size", "model_size", "user", "user_id",
])


def default_columns(runs: list[View], client: Client) -> list[str]:
    """id, name, status, start, duration, model size (if any), the latest metrics, the params."""
    metric_keys: dict[str, None] = {}
    param_keys: dict[str, None] = {}
    for r in runs:
        metric_keys.update(dict.fromkeys(r["metrics"] or ()))
        param_keys.update(dict.fromkeys(r["params"] or ()))
    cols = ["run_id", "name", "status", "start", "duration"]
    sizes = [_view_sizes(r) for r in runs]
    if any(s[1] for s in sizes):
        cols.append("model_size")
    elif any(s[0] for s in sizes):
        cols.append("size")
    return cols + [f"metrics.{k}" for k in sorted(metric_keys)] + [
        f"params.{k}" for k in sorted(param_keys)
    ]


#: ``ls`` column names that ``--sort`` maps onto the search's run attributes.
_SORT_ATTRIBUTES = {
    "id": "run_id", "run_id": "run_id", "name": "run_name", "run_name": "run_name",
    "status": "status", "start": "start_time", "start_time": "start_time", "end": "end_time",
    "end_time": "end_time", "user": "user_id", "user_id": "user_id",
}
#: ``ls`` columns that are no run attribute: sorted here, after the search.
_SORT_LOCAL = ("duration", "size", "artifact_size", "model_size")


def _parse_sort(
    entries: list[str] | None, run_keys: Any = lambda: set()
) -> tuple[list[str], list[tuple[str, bool]] | None]:
    """(order_by for the search, or local sort keys (column, descending) when one needs it)."""
    order_by: list[str] = []
    local: list[tuple[str, bool]] = []
    needs_local = False
    for entry in entries or []:
        parts = entry.strip().split()
        column = parts[0] if parts else entry
        direction = parts[1].upper() if len(parts) == 2 else "ASC"
        if len(parts) > 2 or direction not in ("ASC", "DESC"):
            raise InvalidArgument(
                f"Invalid --sort {entry!r}: use COLUMN or 'COLUMN DESC', e.g. 'metrics.rmse' "
                "or 'duration DESC'"
            )
        if "." not in column and column not in _SORT_LOCAL and column not in _SORT_ATTRIBUTES:
            raise InvalidArgument(_not_sortable(column, run_keys()))
        if column in _SORT_LOCAL:
            needs_local = True
        elif column in _SORT_ATTRIBUTES:
            column = "attributes." + _SORT_ATTRIBUTES[column]
        local.append((column, direction == "DESC"))
        order_by.append(f"{column} {direction}")
    if needs_local:
        return [], local
    return order_by, None


def _not_sortable(column: str, run_keys: set[str]) -> str:
    import difflib

    names = sorted({*_SORT_ATTRIBUTES, *_SORT_LOCAL})
    bare = {k.split(".", 1)[1]: k for k in sorted(run_keys, reverse=True)}
    near = difflib.get_close_matches(column, names, n=2, cutoff=0.6) or [
        bare[k] for k in difflib.get_close_matches(column, list(bare), n=2, cutoff=0.6)
    ]
    hint = f"did you mean {' or '.join(repr(n) for n in near)}? " if near else ""
    return (
        f"Invalid --sort {column!r}: not a column; {hint}sort by {', '.join(names)}, "
        "or metrics.KEY, params.KEY, tags.KEY (a metric key needs the metrics. prefix)"
    )


def _sort_locally(runs: list[View], keys: list[tuple[str, bool]]) -> list[View]:
    """Sort by ls columns (stable, last key first); missing values last either way."""
    for column, descending in reversed(keys):
        name = column.split(".", 1)[1] if column.startswith("attributes.") else column
        getter = column_getter({v: k for k, v in _SORT_ATTRIBUTES.items()}.get(name, name)
                               if column.startswith("attributes.") else column)
        present = [(getter(r)[0], r) for r in runs]
        have = [(v, r) for v, r in present if v is not None]
        missing = [r for v, r in present if v is None]
        have.sort(key=lambda vr: vr[0], reverse=descending)
        runs = [r for _, r in have] + missing
    return runs


def _referenced_keys(args: argparse.Namespace, columns: list[str] | None) -> list[tuple[str, str]]:
    """(option, "metrics.KEY" / "params.KEY" / "tags.KEY") named by --filter, --sort, --columns."""
    from litetrack.query.nodes import fields_of
    from litetrack.query.parse import parse_filter, parse_order_by

    prefix = {"metric": "metrics.", "param": "params.", "tag": "tags."}
    found: list[tuple[str, str]] = [
        ("--filter", prefix[f.kind] + f.key)
        for f in fields_of(parse_filter(args.filter))
        if f.kind in prefix
    ]
    sorts = [s for s in (args.sort or [])
             if s.strip().split()[0].startswith(("metrics.", "params.", "tags."))]
    for key in parse_order_by(sorts):
        if key.field.kind in prefix:
            found.append(("--sort", prefix[key.field.kind] + key.field.key))
    for c in columns or []:
        if c.startswith(("metrics.", "params.", "tags.")):
            found.append(("--columns", c))
    return found


def _run_keys(runs: list[View]) -> set[str]:
    keys: set[str] = set()
    for r in runs:
        keys.update("metrics." + k for k in r["metrics"] or ())
        keys.update("params." + k for k in r["params"] or ())
        keys.update("tags." + k for k in r["tags"] or ())
    return keys


def _views(client: Client, experiment_id: str, filter_string: str, view: int,
           max_results: int | None, order_by: list[str] | None = None) -> list[View]:
    # Loads the query language: when the command runs, not when the parser is built.
    from litetrack.store.search import query_run_views

    if max_results == 0:  # --limit 0: nothing to show (the search itself refuses 0, as MLflow)
        return []
    return list(query_run_views(client.store, [experiment_id], filter_string, view,
                                max_results, order_by))


def check_keys(client: Client, exp: Experiment, args: argparse.Namespace,
               columns: list[str] | None, runs: list[View]) -> None:
    """Raise when --filter/--sort/--columns name a key no run of the experiment has (a typo)."""
    import difflib

    wanted = _referenced_keys(args, columns)
    if not wanted:
        return
    keys = _run_keys(runs)
    unknown = [(opt, k) for opt, k in wanted if k not in keys]
    if not unknown:
        return
    # Not in the runs shown: look at every run of the experiment before calling it a typo.
    everything = _views(client, exp.experiment_id, "", ViewType.ALL, None)
    if not everything:
        return
    keys |= _run_keys(everything)
    unknown = [(opt, k) for opt, k in unknown if k not in keys]
    if not unknown:
        return
    problems = []
    for opt, key in dict.fromkeys(unknown):
        kind = key.split(".", 1)[0]
        near = difflib.get_close_matches(key, sorted(keys), n=2, cutoff=0.7)
        same_kind = sorted(k.split(".", 1)[1] for k in keys if k.startswith(kind + "."))
        hint = (f"did you mean {' or '.join(repr(n) for n in near)}?" if near
                else f"{kind}: {', '.join(same_kind[:12]) or 'none'}")
        problems.append(f"{opt} {key!r}: no run in experiment {exp.name!r} has it; {hint}")
    raise InvalidArgument("; ".join(problems))


def _unique_prefixes(run_ids: list[str], least: int = 8) -> int:
    """The shortest prefix length (at least ``least``) that tells these run ids apart."""
    n = least
    while n < 32 and len({r[:n] for r in run_ids}) < len(set(run_ids)):
        n += 2
    return n


def _column_texts(column: str, getter: Any, runs: list[View]) -> list[str]:
    """The display texts of one column (what ``getter`` gives as text, without its values)."""
    for prefix in ("params.", "tags."):
        if column.startswith(prefix):
            key, attr = column[len(prefix):], prefix[:-1]
            return [(r[attr] or _EMPTY).get(key) or "" for r in runs]
    if column.startswith("metrics."):
        key = column[len("metrics."):]
        out = []
        for r in runs:
            v = (r["metrics"] or _EMPTY).get(key, _MISSING)
            if type(v) is float:
                out.append(f"{v:.6g}" if v == v else "nan")
            elif v is _MISSING:
                out.append("")
            else:
                out.append(format_number(view_metric(v)))
        return out
    return [getter(r)[1] for r in runs]


def _ls_runs(client: Client, args: argparse.Namespace) -> int:
    from litetrack.store.search import gc_paused

    # The listing builds a few objects per cell of a 10,000-run table, none in a cycle.
    with gc_paused():
        return _ls_runs_table(client, args)


def _ls_runs_table(client: Client, args: argparse.Namespace) -> int:
    exp = resolve_experiment(client, args.experiment)
    view = ViewType.ALL if args.all else ViewType.ACTIVE_ONLY
    order_by, local_sort = _parse_sort(args.sort, lambda: _run_keys(
        _views(client, exp.experiment_id, "", ViewType.ALL, None)))
    runs = _views(client, exp.experiment_id, args.filter, view,
                  (args.limit if local_sort is None else None) or None, order_by or None)
    requested = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    check_keys(client, exp, args, requested, runs)
    if local_sort is not None:
        runs = _sort_locally(runs, local_sort)[: args.limit or None]
    columns = requested if requested else default_columns(runs, client)
    if requested:
        columns = ["run_id", *[c for c in columns if c not in ("run_id", "id")]]
        if "name" not in columns and "run_name" not in columns:
            columns.insert(1, "name")  # the id and the name identify a row for a person
    getters = [column_getter(c) for c in columns]
    if args.json or args.csv:
        table = [[g(r) for g in getters] for r in runs]
    if args.json:
        print_json([
            {**{("run_id" if c == "id" else c): (r["run_id"] if c in ("run_id", "id") else cell[0])
                for c, cell in zip(columns, row)},
             **({"lifecycle_stage": _stage(r)} if args.all else {})}
            for r, row in zip(runs, table)
        ])
        return 0
    if args.csv:
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(columns + (["lifecycle_stage"] if args.all else []))
        for r, row in zip(runs, table):
            w.writerow([r["run_id"] if c in ("run_id", "id") else ("" if v is None else v)
                        for c, (v, _) in zip(columns, row)]
                       + ([_stage(r)] if args.all else []))
        sys.stdout.write(out.getvalue())
        return 0
    if not runs:
        print(f"No runs in experiment {exp.name!r}" + (f" matching {args.filter!r}" if args.filter else ""))
        return 0
    width = _unique_prefixes([r["run_id"] for r in runs])
    # Column by column, text only: a 10,000-run table has 200,000 cells.
    cells = [_column_texts(c, g, runs) for c, g in zip(columns, getters)]
    cells[0] = [  # " (deleted)": only listed with --all
        r["run_id"][:width] + (" (deleted)" if _stage(r) == "deleted" else "") for r in runs
    ]
    texts = list(zip(*cells))
    headers = ["id" if c == "run_id" else c for c in columns]
    numeric = [c.startswith("metrics.") or c in ("duration", "size", "model_size") for c in columns]
    print_table(headers, texts, args, numeric, keep=2)
    return 0


def cmd_ls(args: argparse.Namespace) -> int:
    """``ls``: experiments with run counts, or the runs of one experiment."""
    client = open_client(args)
    if client is None:
        return 1
    if args.experiment is None:
        return _ls_experiments(client, args)
    return _ls_runs(client, args)


# -- show -------------------------------------------------------------------------------


def run_details(client: Client, run_id: str) -> dict[str, Any]:
    """Everything ``show`` prints about a run, as a JSON-able dict."""
    doc = client.store.runs.read(run_id)
    run = client.get_run(run_id)
    info = run.info
    details: dict[str, Any] = {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "status": info.status,
        "lifecycle_stage": info.lifecycle_stage,
        "user_id": info.user_id,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "duration_s": (d / 1000 if (d := run_duration_ms(run)) is not None else None),
        "artifact_uri": info.artifact_uri,
        "parent_run_id": doc.get("parent_run_id"),
        "host": doc.get("host"),
        "pid": doc.get("pid"),
        "params": dict(sorted(run.data.params.items())),
        "metrics": {
            k: {kk: s.get(kk) for kk in ("value", "step", "timestamp", "min", "max", "first", "count")}
            for k, s in sorted((doc.get("metrics") or {}).items())
        },
        "tags": dict(sorted(run.data.tags.items())),
        "inputs": doc.get("inputs") or [],
        "experiment_name": _experiment_name(client, info.experiment_id),
        "artifacts": _artifacts(client, run_id),
    }
    for extra in SHOW_SECTIONS:
        details.update(extra(client, run_id, doc))
    return details


def _experiment_name(client: Client, experiment_id: str) -> str | None:
    try:
        return client.get_experiment(experiment_id).name
    except ExperimentNotFound:
        return None  # removed by gc while the run stayed


def _artifacts(client: Client, run_id: str) -> list[dict[str, Any]]:
    from litetrack.store.artifacts import manifest

    return [{"path": p, "size": e.get("size"), "digest": e.get("digest")}
            for p, e in sorted(manifest(client.store, run_id).items())]


#: Extra sections for ``show`` (artifacts, source, environment ...): each takes
#: (client, run_id, doc) and returns keys to add to the details.
SHOW_SECTIONS: list[Any] = []


def cmd_show(args: argparse.Namespace) -> int:
    """``show RUN_ID``: one run in full."""
    client = open_client(args)
    if client is None:
        return 1
    run_id = resolve_run_id(client, args.run_id)
    d = run_details(client, run_id)
    if args.json:
        print_json(d)
        return 0
    lines = [
        f"Run {d['run_id']}  ({d['run_name']})",
        f"  experiment  {d['experiment_name']} (id {d['experiment_id']})",
        f"  status      {d['status']}" + ("  [deleted]" if d["lifecycle_stage"] == "deleted" else ""),
        f"  user        {d['user_id']}   host {d['host']}   pid {d['pid']}",
        f"  started     {format_time(d['start_time'])}",
        f"  ended       {format_time(d['end_time'])}",
        f"  duration    {format_duration(None if d['duration_s'] is None else d['duration_s'] * 1000)}",
        f"  artifacts   {d['artifact_uri']}",
    ]
    if d["parent_run_id"]:
        lines.append(f"  parent      {d['parent_run_id']}")
    if d["params"]:
        lines.append("Params")
        width = max(len(k) for k in d["params"])
        lines += [f"  {k.ljust(width)}  {v}" for k, v in d["params"].items()]
    if d["metrics"]:
        lines.append("Metrics (latest; min / max / count over history)")
        width = max(len(k) for k in d["metrics"])
        for k, s in d["metrics"].items():
            lines.append(
                f"  {k.ljust(width)}  {format_number(s['value'])}  (step {s['step']}; "
                f"{format_number(s['min'])} / {format_number(s['max'])} / {s['count']})"
            )
    user_tags = {k: v for k, v in d["tags"].items() if not k.startswith("mlflow.")}
    if user_tags:
        lines.append("Tags")
        width = max(len(k) for k in user_tags)
        lines += [f"  {k.ljust(width)}  {v}" for k, v in user_tags.items()]
    if d["inputs"]:
        lines.append("Inputs")
        for i in d["inputs"]:
            ds = i.get("dataset", {})
            ctx = (i.get("tags") or {}).get("mlflow.data.context", "")
            lines.append(f"  {ds.get('name')}  digest {ds.get('digest')}  {ctx}")
    if d["artifacts"]:
        from litetrack.cli.table import format_size

        arts = d["artifacts"]
        lines.append(f"Artifacts ({len(arts)} files, {format_size(sum(a['size'] or 0 for a in arts))}; "
                     f"`artifacts ls {d['run_id'][:8]}`, `artifacts get {d['run_id'][:8]} PATH`)")
        width = max(len(a["path"]) for a in arts[:_SHOW_ARTIFACTS])
        lines += [f"  {a['path'].ljust(width)}  {format_size(a['size']):>9}" for a in arts[:_SHOW_ARTIFACTS]]
        if len(arts) > _SHOW_ARTIFACTS:
            lines.append(f"  ... and {len(arts) - _SHOW_ARTIFACTS} more")
    for render in SHOW_RENDERERS:
        lines += render(d)
    page("\n".join(lines), getattr(args, "no_pager", False))
    return 0


#: Artifact files listed by ``show`` (``artifacts ls`` lists them all).
_SHOW_ARTIFACTS = 20

#: Text renderers for the extra sections: each takes the details dict and
#: returns lines.
SHOW_RENDERERS: list[Any] = []


def _register_builtin_sections() -> None:
    # Captured source and environment summaries (litetrack.capture).
    from litetrack.cli import provenance

    SHOW_SECTIONS.append(provenance.show_section)
    SHOW_RENDERERS.append(provenance.render)


_register_builtin_sections()
