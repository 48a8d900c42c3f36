"""The web UI in a real browser: Playwright driving Debian's Chromium, headless.

The store is made by real litetrack calls; uvicorn serves it from a thread on
127.0.0.1 with a free port. Screenshots of each page (wide and narrow) are
saved under a folder printed at the start of the test.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

sys.path.insert(0, str(Path(__file__).parent))
from ui_store import XSS_NAME, make_store  # noqa: E402

pytestmark = pytest.mark.slow
# Playwright waits 30 s by default; a loaded CI machine can take longer to start
# Chromium or render a chart. A wait returns as soon as its condition holds, so a
# generous bound costs nothing when all is well.
TIMEOUT_MS = 120_000
VIEWPORTS = {"wide": {"width": 1366, "height": 900}, "narrow": {"width": 400, "height": 860}}


class Served:
    """A uvicorn server in a thread; ``url`` once started."""

    def __init__(self, store: Path, read_only: bool = False) -> None:
        import uvicorn

        from litetrack.ui.app import create_app

        app = create_app(str(store), read_only=read_only)
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 120  # a loaded machine: generous, it stops once started
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def demo(store_path: Path) -> dict[str, Any]:
    return make_store(store_path)


@pytest.fixture
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, timeout=TIMEOUT_MS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = tmp_path / "screenshots"
    folder.mkdir()
    print(f"\nscreenshots: {folder}")
    return folder


def _page(browser: Any, viewport: str = "wide") -> tuple[Any, list[str], list[str]]:
    """A page that records dialogs (an XSS would open one) and script errors."""
    page = browser.new_page(viewport=VIEWPORTS[viewport])
    page.set_default_timeout(TIMEOUT_MS)
    dialogs: list[str] = []
    errors: list[str] = []

    def on_dialog(d: Any) -> None:
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, dialogs, errors


def _ready(page: Any) -> None:
    page.wait_for_selector("body[data-ready]", state="attached")


def _then(page: Any, action: Any, *args: Any) -> None:
    """Do ``action(*args)`` and wait until the page has rendered the route it leads to."""
    _ready(page)
    before = page.get_attribute("body", "data-ready")
    action(*args)
    page.wait_for_selector(f"body[data-ready]:not([data-ready='{before}'])", state="attached")


def _go(page: Any, url: str) -> None:
    """Open ``url``; a change of fragment only waits for the new route's rendering."""
    if page.url.split("#")[0] == url.split("#")[0]:
        _then(page, page.goto, url)
    else:
        page.goto(url)
        _ready(page)


def _names(page: Any) -> list[str]:
    return page.locator("#runs tbody a.run-link").all_inner_texts()


def _shoot(page: Any, shots: Path, name: str) -> None:
    page.wait_for_timeout(150)  # let charts finish their first frame
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_click_through(demo: dict[str, Any], store_path: Path, browser: Any, shots: Path) -> None:
    import litetrack

    served = Served(store_path)
    try:
        page, dialogs, errors = _page(browser)
        ids = demo["ids"]
        # Experiments -> runs of "taxi".
        _go(page, served.url)
        _shoot(page, shots, "experiments-wide")
        _then(page, page.get_by_role("link", name="taxi").click)
        page.wait_for_selector("#runs")
        _ready(page)
        assert len(_names(page)) == 6
        # The XSS name is text: no <img> was made, no dialog opened.
        assert XSS_NAME in _names(page)
        assert page.locator("#runs img").count() == 0
        _shoot(page, shots, "runs-wide")

        # Filter with the ls language.
        page.fill("#filter", "metrics.mae >= 5 AND (params.max_depth = '6' OR tags.team = 'core')")
        _then(page, page.press, "#filter", "Enter")
        assert sorted(_names(page)) == sorted(["run-3", "run-4", XSS_NAME])
        # A bad filter shows the caret message.
        page.fill("#filter", "metrics.mae <")
        _then(page, page.click, "#apply-filter")
        err = page.locator(".error")
        assert "^" in err.inner_text() and "metrics.mae <" in err.inner_text()
        _shoot(page, shots, "runs-bad-filter-wide")
        page.fill("#filter", "")
        _then(page, page.press, "#filter", "Enter")

        # Sort by a metric, both ways, and by duration.
        _then(page, page.click, "th[data-col='metrics.mae']")
        assert _names(page)[0] == "run-0"
        _then(page, page.click, "th[data-col='metrics.mae']")
        assert _names(page)[0] == XSS_NAME
        _then(page, page.click, "th[data-col='duration']")
        client = litetrack.Client(str(store_path))
        by_duration = client.search_runs(["1"], order_by=["attributes.duration ASC"])
        assert _names(page) == [r.info.run_name for r in by_duration]
        # The model size column sorts too (from the index), largest first on a second click.
        _then(page, page.click, "th[data-col='model_size']")
        _then(page, page.click, "th[data-col='model_size']")
        by_size = client.search_runs(["1"], order_by=["attributes.model_size DESC"])
        assert _names(page) == [r.info.run_name for r in by_size]
        assert set(_names(page)[:2]) == {"run-0", "run-1"}  # the two runs with a model
        # The column chooser lists every key of the experiment once opened (tags included).
        page.click("#column-chooser summary")
        page.wait_for_selector("#column-chooser[data-keys='loaded']")
        offered = [t.strip() for t in page.locator("#column-chooser label").all_inner_texts()]
        assert "tags.team" in offered and "metrics.rmse" in offered

        # Select three runs and compare them.
        for name in ("run-0", "run-1", "run-2"):
            page.get_by_label(f"select run {name}").check()
        _then(page, page.click, "#compare-selected")
        page.wait_for_selector("#compare")
        page.wait_for_selector("#curve-chart[data-rendered='3']")
        _ready(page)
        assert page.locator("#compare thead th a").all_inner_texts() == ["run-0", "run-1", "run-2"]
        assert page.locator("#compare tr.differ").count() >= 2
        assert page.locator("#parallel-chart canvas").count() == 1
        _shoot(page, shots, "compare-wide")

        # Open a run: its chart and an artifact preview.
        _then(page, page.locator("#compare thead th a", has_text="run-0").click)
        page.wait_for_selector("#curve-chart[data-rendered='1']")
        _ready(page)
        assert page.locator("#run-name").inner_text().startswith("run-0")
        assert page.locator("#curve-metric").input_value() == "rmse"
        page.click("a.artifact-dir:has-text('data/')")
        page.click("a.artifact-file[data-path='data/sample.csv']")
        page.wait_for_selector("#artifact-table")
        assert page.locator("#artifact-table tbody tr").count() == 2
        page.click("a.artifact-dir:has-text('images/')")
        page.click("a.artifact-file[data-path='images/dot.png']")
        page.wait_for_selector("#artifact-view img")
        img = page.locator("#artifact-view img")
        deadline = time.monotonic() + 60  # the image loads after its element appears
        while img.evaluate("img => img.complete ? img.naturalWidth : -1") == -1:
            assert time.monotonic() < deadline, "the image preview never loaded"
            page.wait_for_timeout(50)
        assert img.evaluate("img => img.naturalWidth") == 1
        page.click("a.artifact-file[data-path='page.html']")
        page.wait_for_selector("#artifact-text")
        assert "<script>alert(1)</script>" in page.locator("#artifact-text").inner_text()
        _shoot(page, shots, "run-wide")

        # The XSS run's own page.
        _go(page, served.url + f"#/run/{ids[XSS_NAME]}")
        page.wait_for_selector("#run-name")
        _ready(page)
        assert page.locator("#run-name").inner_text().startswith(XSS_NAME)

        # Promote version 1 to Production (archiving what is there).
        _go(page, served.url + "#/models")
        _shoot(page, shots, "models-wide")
        _go(page, served.url + "#/model/taxi-model/1")
        page.select_option("#stage-select", "Production")
        _then(page, page.click, "#move-stage")
        page.wait_for_selector("#stage .badge.Production")
        _ready(page)
        assert "models:/taxi-model/1" in page.locator("#code-pandas").inner_text()
        _shoot(page, shots, "version-wide")
        _go(page, served.url + "#/model/taxi-model")
        assert page.locator("#history").inner_text().count("Production") >= 1
        _shoot(page, shots, "model-wide")

        # A traversal URL is refused.
        run0 = ids["run-0"]
        for bad in ("../../../../etc/passwd", "/etc/passwd", "data/../../run.json"):
            r = page.request.get(served.url + f"api/runs/{run0}/artifact", params={"path": bad})
            assert r.status == 400, (bad, r.status)
        r = page.request.get(served.url + "static/..%2F..%2F..%2Fetc%2Fpasswd")
        assert "root:" not in r.text()

        # Narrow screens.
        narrow, narrow_dialogs, _ = _page(browser, "narrow")
        for name, frag in (
            ("runs", "#/runs?e=1"),
            ("run", f"#/run/{run0}"),
            ("models", "#/models"),
            ("compare", f"#/compare?runs={ids['run-0']},{ids['run-1']},{ids['run-2']}"),
        ):
            _go(narrow, served.url + frag)
            _shoot(narrow, shots, f"{name}-narrow")
        assert narrow_dialogs == []
        assert dialogs == [], dialogs
        assert errors == [], errors
    finally:
        served.stop()

    # On disk, read by a fresh process: version 1 is in Production.
    from conftest import run_python

    out = run_python(
        "import litetrack, pandas as pd, sys\n"
        "c = litetrack.Client(sys.argv[1])\n"
        "print([v.version for v in c.get_latest_versions('taxi-model', ['Production'])])\n"
        "m = litetrack.pyfunc.load_model('models:/taxi-model/Production')\n"
        "print(list(m.predict(pd.DataFrame({'x': [1, 2]}))))\n"
        "print(c.get_registered_model_history('taxi-model')[-1]['action'])\n",
        str(store_path),
    )
    lines = out.stdout.split("\n")
    assert lines[0] in ("[1]", "['1']") and lines[1] == "[2, 4]"
    assert "stage" in lines[2] or "transition" in lines[2]


def test_read_only_refuses_actions(demo: dict[str, Any], store_path: Path, browser: Any) -> None:
    import litetrack

    served = Served(store_path, read_only=True)
    try:
        page, dialogs, errors = _page(browser)
        _go(page, served.url + "#/model/taxi-model/1")
        page.wait_for_selector("#version-info")
        _ready(page)
        assert page.locator("#move-stage").count() == 0
        assert page.locator("#mode").inner_text().startswith("read-only")
        _go(page, served.url + f"#/run/{demo['ids']['run-0']}")
        page.wait_for_selector("#run-name")
        _ready(page)
        assert page.locator("#delete-run").count() == 0
        r = page.request.post(
            served.url + "api/models/taxi-model/versions/1/stage",
            data={"stage": "Production"},
            headers={"content-type": "application/json", "x-csrf-token": "x"},
        )
        assert r.status == 403
        assert dialogs == [] and errors == []
    finally:
        served.stop()
    client = litetrack.Client(str(store_path))
    assert client.get_model_version("taxi-model", 1).current_stage == "None"


def test_report_opens_from_file(
    demo: dict[str, Any], store_path: Path, browser: Any, tmp_path: Path, shots: Path
) -> None:
    from litetrack.cli import main

    out = tmp_path / "report.html"
    assert main(["--store", str(store_path), "report", "taxi", "-o", str(out)]) == 0
    page, dialogs, errors = _page(browser)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.goto(out.as_uri())
    page.wait_for_selector("#runs")
    _ready(page)
    assert page.get_attribute("body", "data-ready") == "1"  # rendered once, not re-rendered
    assert len(_names(page)) == 6 and XSS_NAME in _names(page)
    # The sort re-renders on the hashchange that follows the click: wait for that
    # rendering, not for the current one (still marked ready when the click returns).
    _then(page, page.click, "th[data-col='metrics.mae']")
    assert _names(page)[0] == "run-0"
    _shoot(page, shots, "report-runs-wide")
    for name in ("run-0", "run-1", "run-2"):
        page.get_by_label(f"select run {name}").check()
    page.click("#compare-selected")
    page.wait_for_selector("#curve-chart[data-rendered='3']")
    _ready(page)
    _shoot(page, shots, "report-compare-wide")
    page.locator("#compare thead th a", has_text="run-1").click()
    page.wait_for_selector("#curve-chart[data-rendered='1']")
    assert dialogs == [] and errors == [] and console == [], (dialogs, errors, console)


def test_running_run_updates_live(store_path: Path, browser: Any) -> None:
    import litetrack

    client = litetrack.Client(str(store_path))
    eid = client.create_experiment("live")
    run = client.create_run(eid, run_name="training")
    rid = run.info.run_id
    for step in range(5):
        client.log_metric(rid, "loss", 1.0 / (step + 1), step=step)
    served = Served(store_path)
    try:
        page, dialogs, errors = _page(browser)
        _go(page, served.url + f"#/run/{rid}")
        page.wait_for_selector("#curve-chart[data-points='5']")
        assert page.locator(".badge.RUNNING").count() >= 1
        for step in range(5, 12):
            client.log_metric(rid, "loss", 1.0 / (step + 1), step=step)
        # The page polls while the run is RUNNING.
        page.wait_for_selector("#curve-chart[data-points='12']", state="attached")
        assert dialogs == [] and errors == []
    finally:
        served.stop()
        client.set_terminated(rid)
