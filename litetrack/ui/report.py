"""``report``: one self-contained HTML file of an experiment's runs.

The file holds the page's own script and stylesheet, the vendored chart
library and the data (runs table, each run's details and metric curves) as
JSON in a ``<script type="application/json">`` element. It opens from
``file://`` with no server and no network; a Content-Security-Policy meta
tag allows exactly the two inline scripts (by hash) and nothing else.
Needs no web framework: only the standard library and the UI's static files.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from litetrack import clock
from litetrack.client import Client
from litetrack.ui import data

STYLE_TAG = '<link rel="stylesheet" href="static/style.css">'
SCRIPT_TAGS = (
    '<script src="static/vendor/echarts.min.js" defer></script>',
    '<script src="static/app.js" defer></script>',
)

#: Points per metric curve kept in a report (longer histories are thinned).
REPORT_POINTS = 2000


def _static(name: str) -> str:
    return (resources.files("litetrack.ui") / "static" / name).read_text(encoding="utf-8")


def _script_safe_json(obj: Any) -> str:
    # "<" escaped as \u003c: no "</script>" or "<!--" can end the element early.
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def _script_text(js: str) -> str:
    # An inline script ends at the first "</script"; the vendored code never
    # contains one, but make sure rather than trust it.
    return js.replace("</script", "<\\/script")


def _sha256(text: str) -> str:
    return (
        "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"
    )


def report_data(
    client: Client,
    experiment: str,
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    limit: int = 500,
) -> dict[str, Any]:
    """The data a report embeds: the experiment, its matching runs, their details and curves."""
    from litetrack.errors import InvalidArgument

    if limit < 1:
        raise InvalidArgument(f"Invalid limit {limit}: must be at least 1")
    (exp_id,) = data.resolve_experiment_ids(client, [experiment])
    exp = client.get_experiment(exp_id)
    runs = client.search_runs(
        [exp_id], filter_string or "", max_results=limit, order_by=list(order_by or [])
    )
    now = clock.now_ms()
    rows = [data.run_row(r, now) for r in runs]
    details: dict[str, Any] = {}
    histories: dict[str, dict[str, Any]] = {}
    for r in runs:
        rid = r.info.run_id
        d = data.run_detail(client, rid)
        details[rid] = d
        histories[rid] = {
            k: data.metric_history(client, rid, k, REPORT_POINTS) for k in d["metrics"]
        }
    metric_keys = sorted({k for r in runs for k in r.data.metrics})
    param_keys = sorted({k for r in runs for k in r.data.params})
    counts = client.store.run_counts()
    return {
        "experiment": exp.name,
        "experiment_id": exp_id,
        "filter": filter_string,
        "created": now,
        "experiments": [
            {
                "experiment_id": exp_id,
                "name": exp.name,
                "lifecycle_stage": exp.lifecycle_stage,
                "runs": counts.get(exp_id, 0),
                "creation_time": exp.creation_time,
                "last_activity": max(
                    [x for x in [exp.last_update_time, *(r["start_time"] for r in rows)] if x]
                    or [0]
                ),
                "tags": {k: v for k, v in exp.tags.items() if not k.startswith("mlflow.")},
            }
        ],
        "runs": rows,
        "details": details,
        "histories": histories,
        "metric_keys": metric_keys,
        "param_keys": param_keys,
    }


def render_report(payload: dict[str, Any]) -> str:
    """The HTML text of a report for ``payload`` (from :func:`report_data`)."""
    echarts = _script_text(_static("vendor/echarts.min.js"))
    app = _script_text(_static("app.js"))
    css = _static("style.css")
    csp = (
        f"default-src 'none'; script-src {_sha256(echarts)} {_sha256(app)}; "
        "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
    )
    title = html.escape(f"litetrack report: {payload['experiment']}")
    page = _static("index.html")
    # The served page, with its stylesheet and scripts inlined.
    head = (
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(csp, quote=False)}">\n'
        f"<style>\n{css}\n</style>"
    )
    body = (
        '<script type="application/json" id="litetrack-report">'
        f"{_script_safe_json(payload)}</script>\n"
        f"<script>{echarts}</script>\n<script>{app}</script>\n</body>"
    )
    for tag in (STYLE_TAG, *SCRIPT_TAGS, "<title>litetrack</title>", "</body>"):
        if tag not in page:
            raise RuntimeError(f"litetrack/ui/static/index.html lost {tag!r}; update report.py")
    page = page.replace(STYLE_TAG, head)
    page = page.replace("<title>litetrack</title>", f"<title>{title}</title>")
    for tag in SCRIPT_TAGS:
        page = page.replace(tag + "\n", "")
    return page.replace("</body>", body)


def write_report(
    client: Client,
    experiment: str,
    output: str | os.PathLike[str],
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    limit: int = 500,
) -> Path:
    """Write the report of ``experiment`` (name or id) to ``output``; return its path.

    Raises ExperimentNotFound for an unknown experiment and FilterSyntaxError
    (with the caret message) for a bad filter.
    """
    from litetrack.store.fs import atomic_write

    text = render_report(report_data(client, experiment, filter_string, order_by, limit))
    path = Path(output)
    atomic_write(path, text.encode("utf-8"))
    return path
