"""What the web UI shows, as JSON-able dicts built from the library's public read path.

Both the server (:mod:`litetrack.ui.app`) and the offline report
(:mod:`litetrack.ui.report`) call these functions, so a page looks the same
served or exported. Every read goes through :class:`litetrack.Client` (the
same searches and documents ``ls``, ``show`` and ``compare`` use): the derived
index pages and orders the runs, a killed run reads KILLED, and nothing here
parses a store file itself. This module imports no web framework.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from litetrack import clock
from litetrack.client import Client
from litetrack.entities import Run, ViewType
from litetrack.errors import InvalidArgument
from litetrack.store.search import run_keys

#: Runs per page of the runs table (the page can ask for up to MAX_PAGE).
DEFAULT_PAGE = 50
MAX_PAGE = 1000
#: Points of one metric curve sent to the page; longer histories are thinned
#: to this many (the min and max of each bucket, and the first and last points).
MAX_POINTS = 20_000
#: Points per run a chart asks for by default: about two per pixel of a wide
#: chart (each of ~1,000 buckets keeps its min and max).
CHART_POINTS = 2_000
#: Runs one chart request may name.
MAX_CHART_RUNS = 100
#: Bytes of an artifact a preview reads.
PREVIEW_BYTES = 256 * 1024
#: Runs a compare view takes.
MAX_COMPARE = 20

_VIEWS = {"active": ViewType.ACTIVE_ONLY, "deleted": ViewType.DELETED_ONLY, "all": ViewType.ALL}


def _num(x: Any) -> Any:
    """JSON has no NaN or infinity: send them as strings the page prints as such."""
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return x


def view_type(name: str | None) -> int:
    """``active`` (default), ``deleted`` or ``all`` as a :class:`ViewType`."""
    if not name:
        return ViewType.ACTIVE_ONLY
    try:
        return _VIEWS[name]
    except KeyError:
        raise InvalidArgument(f"Invalid view {name!r}: use active, deleted or all") from None


def duration_ms(run: Run, now_ms: int | None = None) -> int | None:
    """End minus start; for a live run, now minus start; None when unknown."""
    start, end = run.info.start_time, run.info.end_time
    if start is None:
        return None
    if end is None:
        if run.info.status != "RUNNING":
            return None
        end = now_ms if now_ms is not None else clock.now_ms()
    return end - start


# -- experiments ---------------------------------------------------------------------


def experiments(client: Client, query: str = "", view: str | None = None) -> list[dict[str, Any]]:
    """Experiments whose name contains ``query`` (case-insensitive), with run counts.

    ``last_activity`` is the start time of the newest run (one indexed
    search per experiment), else the experiment's last update.
    """
    vt = view_type(view)
    counts = client.store.run_counts()
    out = []
    needle = query.lower()
    for e in client.search_experiments(vt):
        if needle and needle not in e.name.lower():
            continue
        newest = client.search_runs([e.experiment_id], "", ViewType.ALL, max_results=1)
        last = newest[0].info.start_time if newest else None
        out.append(
            {
                "experiment_id": e.experiment_id,
                "name": e.name,
                "lifecycle_stage": e.lifecycle_stage,
                "runs": counts.get(e.experiment_id, 0),
                "creation_time": e.creation_time,
                "last_activity": max(
                    x for x in (last, e.last_update_time, e.creation_time, 0) if x is not None
                ),
                "tags": {k: v for k, v in sorted(e.tags.items()) if not k.startswith("mlflow.")},
            }
        )
    return out


def resolve_experiment_ids(client: Client, ids: Sequence[str]) -> list[str]:
    """Experiment ids from ids or names (an unknown one raises ExperimentNotFound)."""
    out = []
    for text in ids:
        exp = client.get_experiment_by_name(text)
        out.append(
            exp.experiment_id if exp is not None else client.get_experiment(text).experiment_id
        )
    return out


# -- runs ----------------------------------------------------------------------------------


def run_row(run: Run, now_ms: int) -> dict[str, Any]:
    """One runs-table row: the run's facts, its params and its latest metrics."""
    info, data = run.info, run.data
    d = duration_ms(run, now_ms)
    return {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "status": info.status,
        "lifecycle_stage": info.lifecycle_stage,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "duration": d,
        "user_id": info.user_id,
        "git_commit": data.tags.get("mlflow.source.git.commit"),
        "artifact_size": run.sizes[0],
        "model_size": run.sizes[1],
        "params": dict(data.params),
        "metrics": {k: _num(v) for k, v in data.metrics.items()},
        "tags": {k: v for k, v in data.tags.items() if not k.startswith("mlflow.")},
    }


def runs_page(
    client: Client,
    experiment_ids: Sequence[str],
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    page_token: str | None = None,
    max_results: int = DEFAULT_PAGE,
    view: str | None = None,
    aggregates: bool = False,
) -> dict[str, Any]:
    """One page of the runs table, searched, filtered and ordered by the index.

    A bad filter raises :class:`~litetrack.errors.FilterSyntaxError` (its
    message points at the error with a caret). ``metric_keys``/``param_keys``
    are the keys of this page's runs (the default columns; the column chooser
    asks :func:`column_keys` for all of them).
    With ``aggregates`` each row's metrics also carry min and max (read from
    the run's document).
    """
    if not 1 <= max_results <= MAX_PAGE:
        raise InvalidArgument(f"Invalid max_results {max_results}: use 1 to {MAX_PAGE}")
    ids = resolve_experiment_ids(client, experiment_ids)
    if not ids:
        raise InvalidArgument("Name at least one experiment (experiment_ids=1,2 or names)")
    t0 = time.perf_counter()
    page = client.search_runs(
        ids,
        filter_string or "",
        view_type(view),
        max_results=max_results,
        order_by=list(order_by or []),
        page_token=page_token or None,
    )
    now = clock.now_ms()
    rows = [run_row(r, now) for r in page]
    if aggregates:
        for row in rows:
            summary = client.store.runs.read(row["run_id"]).get("metrics") or {}
            row["metric_ranges"] = {
                k: {"min": _num(s.get("min")), "max": _num(s.get("max"))}
                for k, s in summary.items()
            }
    metric_keys: dict[str, None] = {}
    param_keys: dict[str, None] = {}
    for r in page:
        metric_keys.update(dict.fromkeys(r.data.metrics))
        param_keys.update(dict.fromkeys(r.data.params))
    return {
        "experiment_ids": ids,
        "runs": rows,
        "next_page_token": page.token,
        "metric_keys": sorted(metric_keys),
        "param_keys": sorted(param_keys),
        "server_ms": round((time.perf_counter() - t0) * 1000, 2),
    }


def column_keys(
    client: Client, experiment_ids: Sequence[str], view: str | None = None
) -> dict[str, Any]:
    """Every param, metric and tag key of the experiments' runs, for the column chooser.

    One query over the index's rows (kept until the index changes), asked for
    only when the chooser opens: it reads every run's row, which a page of the
    table never does. ``mlflow.*`` tags are left out (the table shows the ones
    that matter as their own columns).
    """
    ids = resolve_experiment_ids(client, experiment_ids)
    if not ids:
        raise InvalidArgument("Name at least one experiment (experiment_ids=1,2 or names)")
    t0 = time.perf_counter()
    keys = run_keys(client.store, ids, view_type(view))
    return {
        "experiment_ids": ids,
        "metrics": keys["metrics"],
        "params": keys["params"],
        "tags": [k for k in keys["tags"] if not k.startswith("mlflow.")],
        "server_ms": round((time.perf_counter() - t0) * 1000, 2),
    }


def run_detail(client: Client, run_id: str) -> dict[str, Any]:
    """Everything the run page shows except artifacts and curves (what ``show --json`` gives)."""
    from litetrack.cli.runs import run_details

    d = run_details(client, run_id)
    run = client.get_run(run_id)
    d["artifact_size"], d["model_size"] = run.sizes
    d["duration"] = duration_ms(run)
    d.pop("duration_s", None)
    d["metrics"] = {k: {kk: _num(vv) for kk, vv in s.items()} for k, s in d["metrics"].items()}
    try:
        d["experiment_name"] = client.get_experiment(d["experiment_id"]).name
    except Exception:  # noqa: BLE001 - a run whose experiment is gone still shows
        d["experiment_name"] = None
    return d


def thin_indices(values: Sequence[float], max_points: int) -> list[int]:
    """Indices of the points to draw so that a curve of ``values`` keeps its shape.

    Min/max buckets: the series is cut into ``(max_points - 2) // 2`` runs of
    consecutive points and each keeps its lowest and highest point (in
    logging order), plus the very first and last points, so spikes and the
    envelope survive while at most ``max_points`` points are sent. NaN points
    are never a bucket's min or max (a bucket of NaN keeps its first point).
    All indices when the series is short enough.
    """
    n = len(values)
    if n <= max_points:
        return list(range(n))
    buckets = max(1, (max_points - 2) // 2)
    keep = {0, n - 1}
    for b in range(buckets):
        start, end = b * n // buckets, (b + 1) * n // buckets
        lo = hi = -1
        lo_v = hi_v = 0.0
        for i in range(start, end):
            v = values[i]
            if v != v:  # NaN
                continue
            if lo < 0 or v < lo_v:
                lo, lo_v = i, v
            if hi < 0 or v > hi_v:
                hi, hi_v = i, v
        if lo < 0:
            keep.add(start)
        else:
            keep.add(lo)
            keep.add(hi)
    return sorted(keep)


def metric_history(
    client: Client, run_id: str, key: str, max_points: int = MAX_POINTS
) -> dict[str, Any]:
    """A metric's points as columns (step, value, timestamp), thinned beyond ``max_points``.

    ``count`` is the number of points logged, ``step``/``value``/``timestamp``
    the ones kept (see :func:`thin_indices`).
    """
    if max_points < 4:
        # Fewer cannot hold the first and last points and one bucket's min and max.
        raise InvalidArgument(f"Invalid max_points {max_points}: use 4 or more")
    points = client.get_metric_history(run_id, key)
    n = len(points)
    values = [p.value for p in points]
    kept = thin_indices(values, max_points)
    if len(kept) < n:
        points = [points[i] for i in kept]
        values = [values[i] for i in kept]
    return {
        "run_id": run_id,
        "key": key,
        "count": n,
        "step": [p.step for p in points],
        "value": [_num(v) for v in values],
        "timestamp": [p.timestamp for p in points],
    }


def metric_histories(
    client: Client, run_ids: Sequence[str], key: str, max_points: int = CHART_POINTS
) -> dict[str, Any]:
    """One metric's curve for each of several runs, thinned to ``max_points`` each, in one answer.

    What the charts ask for: one request instead of one per run, and about
    two points per pixel of the chart instead of every point logged.
    ``histories`` follows ``run_ids``; a run without the metric has ``None``.
    An unknown run raises :class:`~litetrack.errors.RunNotFound`.
    """
    if not key:
        raise InvalidArgument("Pass the metric name as key=NAME")
    if not 1 <= len(run_ids) <= MAX_CHART_RUNS:
        raise InvalidArgument(
            f"Charts take 1 to {MAX_CHART_RUNS} runs, got {len(run_ids)}: pass runs=ID1,ID2,..."
        )
    t0 = time.perf_counter()
    out: list[dict[str, Any] | None] = []
    for rid in run_ids:
        run = client.get_run(rid)  # RunNotFound (404) for an unknown id
        out.append(
            metric_history(client, rid, key, max_points) if key in run.data.metrics else None
        )
    return {
        "key": key,
        "max_points": max_points,
        "histories": out,
        "server_ms": round((time.perf_counter() - t0) * 1000, 2),
    }


def compare(client: Client, run_ids: Sequence[str]) -> dict[str, Any]:
    """Params, metrics (last/min/max), durations, sizes, source and environment side by side."""
    from litetrack.cli.compare import comparison

    if not 2 <= len(run_ids) <= MAX_COMPARE:
        raise InvalidArgument(f"Compare takes 2 to {MAX_COMPARE} runs, got {len(run_ids)}")
    for rid in run_ids:
        client.get_run(rid)  # an unknown id raises RunNotFound (404) first
    data = comparison(client, list(run_ids), show_all=True)
    rows = []
    for r in data["rows"]:
        values = [
            {k: _num(v) for k, v in x.items()} if isinstance(x, dict) else _num(x)
            for x in r["values"]
        ]
        rows.append(
            {
                "section": r["section"],
                "label": r["label"],
                "values": values,
                "texts": r["texts"],
                "differ": r["differ"],
            }
        )
    names = [client.get_run(rid).info.run_name for rid in run_ids]
    return {"run_ids": list(run_ids), "run_names": names, "rows": rows}


def environment_diff(client: Client, run_id: str, other: str) -> dict[str, Any]:
    """Packages added, removed and changed from ``other``'s environment to ``run_id``'s."""
    from litetrack.capture import load_environment
    from litetrack.environment import diff_environments

    a = load_environment(other, client.store)
    b = load_environment(run_id, client.store)
    if a is None or b is None:
        return {"available": False, "added": {}, "removed": {}, "changed": {}, "python": {}}
    diff = diff_environments(a, b)
    return {
        "available": True,
        "added": diff.added,
        "removed": diff.removed,
        "changed": {k: list(v) for k, v in diff.changed.items()},
        "python": diff.python,
    }


def environment(client: Client, run_id: str) -> dict[str, Any]:
    """The run's captured Python version and packages (empty when not captured)."""
    from litetrack.capture import load_environment

    env = load_environment(run_id, client.store) or {}
    return {
        "python": env.get("python"),
        "platform": env.get("platform"),
        "packages": dict(sorted((env.get("packages") or {}).items())),
    }


def source_diff(client: Client, run_id: str) -> str | None:
    """The uncommitted diff captured with the run (None when the tree was clean)."""
    from litetrack.capture import load_diff

    blob = load_diff(run_id, client.store)
    return None if blob is None else blob.decode("utf-8", "replace")


def artifacts(client: Client, run_id: str, path: str | None = None) -> list[dict[str, Any]]:
    """Entries directly under ``path`` of a run's artifacts."""
    return [
        {"path": f.path, "is_dir": f.is_dir, "file_size": f.file_size}
        for f in client.list_artifacts(run_id, path or None)
    ]


# -- registry -----------------------------------------------------------------------------


def _version(v: Any) -> dict[str, Any]:
    return {
        "name": v.name,
        "version": int(v.version),
        "current_stage": v.current_stage,
        "aliases": list(v.aliases),
        "run_id": v.run_id,
        "source": v.source,
        "description": v.description,
        "tags": dict(v.tags),
        "user_id": v.user_id,
        "creation_timestamp": v.creation_timestamp,
        "last_updated_timestamp": v.last_updated_timestamp,
        "status": v.status,
    }


def models(client: Client, query: str = "") -> list[dict[str, Any]]:
    """Registered models (name contains ``query``) with their latest version per stage."""
    out = []
    token = None
    needle = query.lower()
    while True:
        page = client.search_registered_models(max_results=1000, page_token=token)
        for m in page:
            if needle and needle not in m.name.lower():
                continue
            out.append(
                {
                    "name": m.name,
                    "description": m.description,
                    "tags": dict(m.tags),
                    "aliases": dict(m.aliases),
                    "creation_timestamp": m.creation_timestamp,
                    "last_updated_timestamp": m.last_updated_timestamp,
                    "latest_versions": [_version(v) for v in m.latest_versions],
                }
            )
        token = page.token
        if not token:
            return out


def model(client: Client, name: str) -> dict[str, Any]:
    """One registered model: its versions (newest first, with run metrics and size) and history."""
    m = client.get_registered_model(name)
    versions: list[Any] = []
    token = None
    while True:
        page = client.search_model_versions(
            f"name = '{_quote(name)}'", max_results=1000, page_token=token
        )
        versions.extend(page)
        token = page.token
        if not token:
            break
    rows = []
    for v in sorted(versions, key=lambda v: -int(v.version)):
        row = _version(v)
        try:
            run = client.get_run(v.run_id) if v.run_id else None
        except Exception:  # noqa: BLE001 - a version outlives its deleted run
            run = None
        row["run_name"] = run.info.run_name if run else None
        row["metrics"] = {k: _num(x) for k, x in run.data.metrics.items()} if run else {}
        row["model_size"] = run.sizes[1] if run else None
        rows.append(row)
    return {
        "name": m.name,
        "description": m.description,
        "tags": dict(m.tags),
        "aliases": dict(m.aliases),
        "creation_timestamp": m.creation_timestamp,
        "versions": rows,
        "history": client.get_registered_model_history(name),
    }


def _quote(text: str) -> str:
    return text.replace("'", "''")


#: Files of a model folder the version page shows as text.
MODEL_FILES = ("MLmodel", "conda.yaml", "python_env.yaml", "requirements.txt")


def model_version(client: Client, name: str, version: str) -> dict[str, Any]:
    """A version: stage, aliases, source run, code to load it, signature and environment files."""
    v = client.get_model_version(name, version)
    row = _version(v)
    uri = f"models:/{name}/{v.version}"
    row["uri"] = uri
    row["code"] = {
        "pandas": (
            "import litetrack\nimport pandas as pd\n\n"
            f"model = litetrack.pyfunc.load_model({uri!r})\n"
            "predictions = model.predict(df)  # df: a pandas DataFrame\n"
        ),
        "spark": (
            "import litetrack\n\n"
            f"predict = litetrack.pyfunc.spark_udf(spark, {uri!r})\n"
            'scored = sdf.withColumn("prediction", predict(*sdf.columns))\n'
        ),
    }
    if v.current_stage and v.current_stage != "None":
        stage_uri = f"models:/{name}/{v.current_stage}"
        row["code"]["stage"] = f"model = litetrack.pyfunc.load_model({stage_uri!r})\n"
    files: dict[str, str] = {}
    run_id, sep, path = (v.source or "").removeprefix("runs:/").partition("/")
    if (v.source or "").startswith("runs:/") and sep:
        for fname in MODEL_FILES:
            try:
                files[fname] = read_artifact(client, run_id, f"{path}/{fname}", PREVIEW_BYTES)[
                    0
                ].decode("utf-8", "replace")
            except Exception:  # noqa: BLE001 - a missing file is simply not shown
                continue
    row["files"] = files
    return row


# -- artifact bytes ----------------------------------------------------------------------


def check_artifact_path(path: str) -> str:
    """``path`` if it is a relative artifact path inside the run; else InvalidArgument.

    Refuses absolute paths, drive letters, backslashes, NUL, ``.`` and ``..``
    segments before the library sees them, so no request can name a file
    outside the run's artifacts.
    """
    if (
        not path
        or path.startswith(("/", "~"))
        or "\\" in path
        or "\x00" in path
        or (len(path) > 1 and path[1] == ":")
    ):
        raise InvalidArgument(
            f"Invalid artifact path {path!r}: use a relative path such as 'model/MLmodel'"
        )
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise InvalidArgument(
            f"Invalid artifact path {path!r}: '.', '..' and empty segments are refused"
        )
    return path


def read_artifact(
    client: Client, run_id: str, path: str, limit: int | None = None
) -> tuple[bytes, int]:
    """The first ``limit`` bytes of one artifact file (all with None) and its full size.

    Copies the file out through :meth:`Client.download_artifacts` into a
    private temporary folder and refuses anything that is not a regular file
    there (a folder, a symlink).
    """
    import os
    import tempfile

    from litetrack.errors import ArtifactNotFound

    check_artifact_path(path)
    with tempfile.TemporaryDirectory(prefix="litetrack-ui-") as tmp:
        local = client.download_artifacts(run_id, path, tmp)
        real = os.path.realpath(local)
        if (
            not real.startswith(os.path.realpath(tmp) + os.sep)
            or os.path.islink(local)
            or not os.path.isfile(local)
        ):
            raise ArtifactNotFound(f"Artifact {path!r} of run {run_id} is not a file")
        size = os.path.getsize(local)
        with open(local, "rb") as f:
            return (f.read() if limit is None else f.read(limit)), size


def _decode(data: bytes, truncated: bool) -> str | None:
    """UTF-8 text, or None for binary; a cut at the end of a truncated read is forgiven."""
    for cut in range(4 if truncated else 1):
        try:
            return data[: len(data) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return None


def preview(client: Client, run_id: str, path: str) -> dict[str, Any]:
    """A preview of one artifact: text, JSON, YAML, CSV rows or an image reference.

    HTML and SVG come back as text (never rendered), anything else binary as
    its size only.
    """
    import csv
    import io
    import json

    data, size = read_artifact(client, run_id, path, PREVIEW_BYTES)
    lower = path.lower()
    out: dict[str, Any] = {"path": path, "size": size, "truncated": size > len(data)}
    if lower.endswith((".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp")):
        out["kind"] = "image"
        return out
    text = _decode(data, out["truncated"])
    if text is None:
        out["kind"] = "binary"
        return out
    out["text"] = text
    if lower.endswith((".csv", ".tsv")):
        delim = "\t" if lower.endswith(".tsv") else ","
        rows = list(csv.reader(io.StringIO(text), delimiter=delim))
        if out["truncated"] and rows:
            rows = rows[:-1]  # the last row may be cut
        out["kind"] = "table"
        out["rows"] = rows[:101]
        return out
    if lower.endswith(".json") and not out["truncated"]:
        try:
            out["text"] = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
            out["kind"] = "json"
            return out
        except ValueError:
            pass
    out["kind"] = "yaml" if lower.endswith((".yaml", ".yml", "mlmodel")) else "text"
    return out
