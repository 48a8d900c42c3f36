"""``compare RUN_A RUN_B [...]``: runs side by side, differences marked."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from litetrack.cli.common import described, open_client, print_json
from litetrack.cli.runs import resolve_run_id, run_duration_ms
from litetrack.cli.table import format_duration, format_number, format_size, format_table
from litetrack.client import Client
from litetrack.entities import Run

DIFF_MARK = "*"

#: Extra comparison rows (source, environment ...): each takes the folded run
#: documents and returns (label, one value per run) rows.
COMPARE_ROWS: list[Callable[[Client, list[dict[str, Any]]], list[tuple[str, list[str]]]]] = []


def _source_environment_rows(client: Client, docs: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """Source commit and script, and how each run's environment differs from the first run's."""
    sources = [d.get("source") or {} for d in docs]
    envs = [d.get("environment") or {} for d in docs]
    rows: list[tuple[str, list[str]]] = []
    if any(sources):
        rows.append(("git commit", [
            (s.get("git_commit") or "-")[:10] + (" (dirty)" if s.get("git_dirty") else "") for s in sources
        ]))
        rows.append(("script", [s.get("entry_point", "-").rsplit("/", 1)[-1] for s in sources]))
        rows.append(("script digest", [(s.get("script_digest") or "-")[:12] for s in sources]))
    if any(envs):
        rows.append(("python", [e.get("python", "-") for e in envs]))
        rows.append(("environment", [(e.get("digest") or "-")[:12] for e in envs]))
        rows.append(("packages vs first", _package_differences(client, docs)))
    return rows


def _package_differences(client: Client, docs: list[dict[str, Any]]) -> list[str]:
    """Per run: "+added -removed ~changed" packages against the first run ("=" when identical)."""
    from litetrack.capture import load_environment
    from litetrack.environment import diff_environments

    try:
        envs = [load_environment(d["run_id"], client.store) for d in docs]
    except Exception as e:  # noqa: BLE001 - a missing or damaged blob must not break compare
        return [f"unavailable ({e})"] * len(docs)
    base = envs[0]
    out = []
    for env in envs:
        if env is None or base is None:
            out.append("-")
            continue
        diff = diff_environments(base, env)
        if not diff:
            out.append("=")
            continue
        changed = ", ".join(f"{k} {a}->{b}" for k, (a, b) in list(diff.changed.items())[:3])
        out.append(f"+{len(diff.added)} -{len(diff.removed)} ~{len(diff.changed)}" + (f" ({changed})" if changed else ""))
    return out


COMPARE_ROWS.append(_source_environment_rows)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``compare``."""
    from litetrack.cli import add_common

    p = sub.add_parser(
        "compare", help="compare runs side by side (params, metrics, duration, size, source, environment)",
        **described("Runs side by side: name, status, duration, sizes, the params that differ "
                    "(--all: every param), each metric's last value with its min..max, the "
                    "source commit and the environment; '*' marks rows that differ.",
                    "compare 3f2a9c1d 77b0e4aa", "compare 3f2a9c1d 77b0e4aa 0c1d2e3f --all --json"),
    )
    p.add_argument("run_ids", nargs="+", metavar="RUN_ID", help="two or more run ids (unique prefixes are enough)")
    p.add_argument("--all", action="store_true", help="show identical params too")
    p.add_argument("--width", type=int, default=None, help="table width (0: no trimming)")
    add_common(p)
    p.set_defaults(func=cmd_compare)


def _metric_cell(doc: dict[str, Any], key: str) -> tuple[str, dict[str, Any] | None]:
    s = (doc.get("metrics") or {}).get(key)
    if s is None:
        return "", None
    return f"{format_number(s['value'])} [{format_number(s.get('min'))}..{format_number(s.get('max'))}]", s


def comparison(client: Client, run_ids: list[str], show_all: bool = False) -> dict[str, Any]:
    """The comparison as data: rows of (section, label, values, differ)."""
    docs = [client.store.runs.read(r) for r in run_ids]
    runs: list[Run] = [client.get_run(r) for r in run_ids]
    rows: list[dict[str, Any]] = []

    def add(section: str, label: str, values: list[Any], texts: list[str] | None = None) -> None:
        texts = texts if texts is not None else ["" if v is None else str(v) for v in values]
        differ = len({repr(v) for v in values}) > 1
        if section == "params" and not differ and not show_all:
            return
        rows.append({"section": section, "label": label, "values": values, "texts": texts, "differ": differ})

    add("run", "name", [r.info.run_name for r in runs])
    add("run", "status", [r.info.status for r in runs])
    durations = [run_duration_ms(r) for r in runs]
    add("run", "duration", [None if d is None else d / 1000 for d in durations], [format_duration(d) for d in durations])
    add("run", "artifact size", [r.sizes[0] for r in runs], [format_size(r.sizes[0]) for r in runs])
    add("run", "model size", [r.sizes[1] for r in runs], [format_size(r.sizes[1]) for r in runs])
    for key in sorted({k for r in runs for k in r.data.params}):
        add("params", key, [r.data.params.get(key) for r in runs])
    for key in sorted({k for d in docs for k in (d.get("metrics") or {})}):
        cells = [_metric_cell(d, key) for d in docs]
        values = [None if s is None else {"last": s["value"], "min": s.get("min"), "max": s.get("max")} for _, s in cells]
        add("metrics", key, values, [t for t, _ in cells])
    for extra in COMPARE_ROWS:
        for label, texts in extra(client, docs):
            add("source/environment", label, texts)
    return {"run_ids": run_ids, "rows": rows}


def cmd_compare(args: argparse.Namespace) -> int:
    """``compare``: print the runs side by side; ``*`` marks rows that differ."""
    client = open_client(args)
    if client is None:
        return 1
    run_ids = [resolve_run_id(client, r) for r in args.run_ids]
    if len(run_ids) < 2:
        print("compare needs at least two runs")
        return 2
    data = comparison(client, run_ids, args.all)
    if args.json:
        print_json({"run_ids": run_ids, "rows": [
            {k: r[k] for k in ("section", "label", "values", "differ")} for r in data["rows"]
        ]})
        return 0
    headers = ["", ""] + [rid[:8] for rid in run_ids]
    table = []
    section = None
    for r in data["rows"]:
        label = r["section"] if r["section"] != section else ""
        section = r["section"]
        table.append([label, (DIFF_MARK + " " if r["differ"] else "  ") + r["label"], *r["texts"]])
    print(format_table(headers, table, args.width, keep=2))
    print(f"\n{DIFF_MARK} marks values that differ between the runs.")
    return 0
