"""The web UI's JSON API, through Starlette's test client, on a store made by real calls."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

sys.path.insert(0, str(Path(__file__).parent))
from ui_store import XSS_NAME, make_store  # noqa: E402

# Starlette 1.x prefers httpx2 for its test client; httpx still works.
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")


@pytest.fixture
def ui(store_path: Path) -> dict[str, Any]:
    """The demo store and a client factory: ``ui["client"](read_only=..., token=..., host=...)``."""
    from starlette.testclient import TestClient

    from litetrack.ui.app import create_app

    info = make_store(store_path)

    def client(
        read_only: bool = False,
        token: str | None = None,
        allowed: list[str] | None = None,
        base_url: str = "http://127.0.0.1:5000",
    ) -> Any:
        app = create_app(
            str(store_path), read_only=read_only, access_token=token, allowed_hosts=allowed
        )
        return TestClient(app, base_url=base_url)

    info["client"] = client
    info["store"] = store_path
    return info


def _csrf(c: Any) -> dict[str, str]:
    return {"x-csrf-token": c.get("/api/config").json()["csrf_token"]}


def test_index_and_static_files_have_a_strict_csp(ui: dict[str, Any]) -> None:
    c = ui["client"]()
    r = c.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    csp = r.headers["content-security-policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert r.headers["x-content-type-options"] == "nosniff"
    assert '<script src="static/app.js"' in r.text
    assert c.get("/static/app.js").status_code == 200
    js = c.get("/static/vendor/echarts.min.js")
    assert js.status_code == 200 and len(js.content) > 500_000
    assert "Apache License" in c.get("/static/vendor/echarts-LICENSE.txt").text
    # No inline script in the page itself.
    assert "<script>" not in r.text


def test_experiments_search_and_counts(ui: dict[str, Any]) -> None:
    c = ui["client"]()
    exps = {e["name"]: e for e in c.get("/api/experiments").json()}
    assert exps["taxi"]["runs"] == 6 and exps["other"]["runs"] == 1
    assert exps["taxi"]["last_activity"] >= exps["taxi"]["creation_time"]
    assert [e["name"] for e in c.get("/api/experiments", params={"q": "TAX"}).json()] == ["taxi"]
    assert c.get("/api/experiments", params={"view": "nope"}).status_code == 400


def test_runs_filter_order_and_pages(ui: dict[str, Any]) -> None:
    c = ui["client"]()
    r = c.get(
        "/api/runs",
        params={
            "experiments": "taxi",
            "filter": "metrics.mae >= 5 OR params.max_depth = '2'",
            "order_by": "metrics.mae DESC",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [row["metrics"]["mae"] for row in body["runs"]] == [8.0, 7.0, 6.0, 5.0, 3.0]
    assert body["metric_keys"] == ["mae", "rmse"] and body["param_keys"] == ["lr", "max_depth"]
    assert body["runs"][0]["run_name"] == XSS_NAME
    # Paging by token, in order, no overlap.
    seen = []
    token = None
    while True:
        page = c.get(
            "/api/runs",
            params={
                "experiments": "taxi",
                "max_results": 4,
                "page_token": token or "",
                "order_by": "params.max_depth ASC",
            },
        ).json()
        seen += [row["params"]["max_depth"] for row in page["runs"]]
        token = page["next_page_token"]
        if not token:
            break
    assert seen == ["2", "3", "4", "5", "6", "7"]
    # min/max on demand, several experiments at once, IS NULL and aggregates.
    agg = c.get(
        "/api/runs",
        params={
            "experiments": "taxi,other",
            "aggregates": "1",
            "filter": "metrics.rmse.min <= 1 AND tags.missing IS NULL",
        },
    ).json()
    assert {row["run_name"] for row in agg["runs"]} == {"run-0", "run-1"}
    assert agg["runs"][0]["metric_ranges"]["rmse"]["max"] >= 10


def test_runs_sort_by_duration(ui: dict[str, Any]) -> None:
    c = ui["client"]()
    for direction in ("ASC", "DESC"):
        rows = c.get(
            "/api/runs",
            params={"experiments": "taxi", "order_by": f"attributes.duration {direction}"},
        ).json()["runs"]
        durations = [row["duration"] for row in rows]
        assert durations == sorted(durations, reverse=direction == "DESC")


def test_bad_filter_is_400_with_the_caret_message(ui: dict[str, Any]) -> None:
    c = ui["client"]()
    r = c.get(
        "/api/runs",
        params={"experiments": "taxi", "filter": "metrics.rmse < 1 AND (params.x = '1'"},
    )
    assert r.status_code == 400
    msg = r.json()["error"]
    assert "^" in msg and "metrics.rmse < 1 AND (params.x = '1'" in msg
    bad_order = c.get(
        "/api/runs", params={"experiments": "taxi", "order_by": "metrics.rmse SIDEWAYS"}
    )
    assert bad_order.status_code == 400 and "^" in bad_order.json()["error"]
    assert c.get("/api/runs", params={"experiments": "nope"}).status_code == 404
    assert c.get("/api/runs").status_code == 400
    assert c.get("/api/runs", params={"experiments": "taxi", "max_results": "x"}).status_code == 400
    assert (
        c.get("/api/runs", params={"experiments": "taxi", "page_token": "garbage"}).status_code
        == 400
    )


def test_run_detail_history_and_unknown_run(ui: dict[str, Any]) -> None:
    c = ui["client"]()
    rid = ui["ids"]["run-0"]
    d = c.get(f"/api/runs/{rid}").json()
    assert (
        d["run_name"] == "run-0"
        and d["params"]["max_depth"] == "2"
        and d["experiment_name"] == "taxi"
    )
    assert d["metrics"]["rmse"]["count"] == 20 and d["model_size"] > 0
    assert d["environment"]["python"]
    hist = c.get(f"/api/runs/{rid}/metric-history", params={"key": "rmse"}).json()
    assert hist["step"] == list(range(20)) and hist["value"][0] == 10.0
    thin = c.get(f"/api/runs/{rid}/metric-history", params={"key": "rmse", "max_points": 6}).json()
    assert thin["count"] == 20 and len(thin["step"]) <= 8 and thin["value"][0] == 10.0
    assert c.get(f"/api/runs/{rid}/metric-history", params={"key": "nope"}).status_code == 404
    assert c.get(f"/api/runs/{rid}/metric-history").status_code == 400
    missing = c.get("/api/runs/0123456789abcdef0123456789abcdef")
    assert missing.status_code == 404 and "0123456789abcdef" in missing.json()["error"]
    assert c.get("/api/runs/not-an-id").status_code in (400, 404)
    assert c.get("/api/nothing-here").status_code == 404
    env = c.get(f"/api/runs/{rid}/environment", params={"against": ui["ids"]["run-1"]}).json()
    assert env["packages"] and env["diff"]["available"] and env["diff"]["added"] == {}
    assert c.get(f"/api/runs/{rid}/source-diff").status_code == 200


def test_artifacts_list_preview_download(ui: dict[str, Any]) -> None:
    c = ui["client"]()
    base = f"/api/runs/{ui['ids']['run-0']}"
    top = {e["path"]: e for e in c.get(f"{base}/artifacts").json()}
    assert top["data"]["is_dir"] and top["config.json"]["file_size"] > 0
    assert [e["path"] for e in c.get(f"{base}/artifacts", params={"path": "data"}).json()] == [
        "data/sample.csv"
    ]
    csv = c.get(f"{base}/artifact-preview", params={"path": "data/sample.csv"}).json()
    assert csv["kind"] == "table" and csv["rows"] == [["x", "y"], ["1", "2"], ["3", "4"]]
    js = c.get(f"{base}/artifact-preview", params={"path": "config.json"}).json()
    assert js["kind"] == "json" and json.loads(js["text"]) == {"a": 1, "b": [1, 2]}
    assert (
        c.get(f"{base}/artifact-preview", params={"path": "model/conda.yaml"}).json()["kind"]
        == "yaml"
    )
    # HTML and SVG: previews as text, downloads as attachments in plain text.
    assert c.get(f"{base}/artifact-preview", params={"path": "page.html"}).json()["kind"] == "text"
    for name in ("page.html", "pic.svg"):
        r = c.get(f"{base}/artifact", params={"path": name, "inline": "1"})
        assert r.status_code == 200
        assert r.headers["content-disposition"].startswith("attachment;")
        assert r.headers["content-type"].startswith("text/plain")
        assert "sandbox" in r.headers["content-security-policy"]
    assert (
        c.get(f"{base}/artifact-preview", params={"path": "images/dot.png"}).json()["kind"]
        == "image"
    )
    img = c.get(f"{base}/artifact", params={"path": "images/dot.png", "inline": "1"})
    assert img.headers["content-type"] == "image/png" and img.content.startswith(b"\x89PNG")
    assert img.headers["content-disposition"].startswith("inline;")
    r = c.get(f"{base}/artifact", params={"path": "config.json"})
    assert r.headers["content-type"] == "application/json" and json.loads(r.content) == {
        "a": 1,
        "b": [1, 2],
    }
    assert 'filename="config.json"' in r.headers["content-disposition"]
    assert c.get(f"{base}/artifact", params={"path": "nope.txt"}).status_code == 404
    assert c.get(f"{base}/artifact", params={"path": "data"}).status_code in (400, 404)


@pytest.mark.parametrize(
    "path",
    [
        "../run.json",
        "data/../../x",
        "/etc/passwd",
        "C:/x",
        "a\\..\\b",
        "./config.json",
        "data//x",
        "",
    ],
)
def test_artifact_paths_cannot_leave_the_run(ui: dict[str, Any], path: str) -> None:
    c = ui["client"]()
    base = f"/api/runs/{ui['ids']['run-0']}"
    for endpoint in ("artifact", "artifact-preview", "artifacts"):
        r = c.get(f"{base}/{endpoint}", params={"path": path})
        if endpoint == "artifacts" and path == "":
            assert r.status_code == 200  # the top level
            continue
        assert r.status_code in (400, 404), (endpoint, path, r.status_code)
        assert "root:" not in r.text


def test_compare(ui: dict[str, Any]) -> None:
    c = ui["client"]()
    ids = [ui["ids"][n] for n in ("run-0", "run-1", "run-2")]
    body = c.get("/api/compare", params={"runs": ",".join(ids)}).json()
    assert body["run_names"] == ["run-0", "run-1", "run-2"]
    rows = {(r["section"], r["label"]): r for r in body["rows"]}
    assert rows[("params", "max_depth")]["differ"] and rows[("params", "max_depth")]["texts"] == [
        "2",
        "3",
        "4",
    ]
    assert ("run", "duration") in rows and ("run", "model size") in rows
    assert any(s == "source/environment" for s, _ in rows)
    assert c.get("/api/compare", params={"runs": ids[0]}).status_code == 400
    assert (
        c.get(
            "/api/compare", params={"runs": ids[0] + ",0123456789abcdef0123456789abcdef"}
        ).status_code
        == 404
    )


def test_models_versions_history(ui: dict[str, Any]) -> None:
    c = ui["client"]()
    models = c.get("/api/models").json()
    assert [m["name"] for m in models] == ["taxi-model"]
    m = c.get("/api/models/taxi-model").json()
    assert [v["version"] for v in m["versions"]] == [2, 1]
    assert m["versions"][1]["run_name"] == "run-0" and m["versions"][1]["metrics"]["mae"] == 3.0
    assert [e["action"] for e in m["history"]][:2] == ["create_model", "create_version"]
    v = c.get("/api/models/taxi-model/versions/1").json()
    assert v["uri"] == "models:/taxi-model/1"
    assert "pyfunc.load_model('models:/taxi-model/1')" in v["code"]["pandas"]
    assert "spark_udf(spark, 'models:/taxi-model/1')" in v["code"]["spark"]
    assert {"MLmodel", "conda.yaml", "requirements.txt"} <= set(v["files"])
    assert c.get("/api/models/nope").status_code == 404
    assert c.get("/api/models/taxi-model/versions/9").status_code == 404


def test_actions_need_csrf_and_json(ui: dict[str, Any]) -> None:
    c = ui["client"]()
    url = "/api/models/taxi-model/versions/1/stage"
    assert c.post(url, json={"stage": "Production"}).status_code == 403
    assert (
        c.post(url, json={"stage": "Production"}, headers={"x-csrf-token": "wrong"}).status_code
        == 403
    )
    form = c.post(url, data={"stage": "Production"}, headers=_csrf(c))
    assert form.status_code == 415
    # GETs never change anything.
    assert c.get(url).status_code in (404, 405)
    import litetrack

    assert (
        litetrack.Client(str(ui["store"])).get_model_version("taxi-model", 1).current_stage
        == "None"
    )


def test_actions_go_through_the_library(ui: dict[str, Any]) -> None:
    import litetrack

    c = ui["client"]()
    h = _csrf(c)
    lc = litetrack.Client(str(ui["store"]))
    r = c.post("/api/models/taxi-model/versions/2/stage", json={"stage": "Production"}, headers=h)
    assert r.status_code == 200 and r.json()["current_stage"] == "Production"
    r = c.post(
        "/api/models/taxi-model/versions/1/stage",
        json={"stage": "production", "archive_existing": True, "comment": "better"},
        headers=h,
    )
    assert r.status_code == 200
    assert lc.get_model_version("taxi-model", 1).current_stage == "Production"
    assert lc.get_model_version("taxi-model", 2).current_stage == "Archived"
    assert "better" in [e["comment"] for e in lc.get_registered_model_history("taxi-model")]
    bad = c.post("/api/models/taxi-model/versions/1/stage", json={"stage": "Prod"}, headers=h)
    assert bad.status_code == 400 and "Prod" in bad.json()["error"]
    assert (
        c.post(
            "/api/models/taxi-model/versions/1/alias", json={"alias": "champion"}, headers=h
        ).status_code
        == 200
    )
    assert lc.get_model_version_by_alias("taxi-model", "champion").version in (1, "1")
    assert (
        c.post(
            "/api/models/taxi-model/alias/delete", json={"alias": "champion"}, headers=h
        ).status_code
        == 200
    )
    assert lc.get_registered_model("taxi-model").aliases == {}
    assert (
        c.post(
            "/api/models/taxi-model/description", json={"description": "taxi <b>"}, headers=h
        ).status_code
        == 200
    )
    assert lc.get_registered_model("taxi-model").description == "taxi <b>"
    assert (
        c.post(
            "/api/models/taxi-model/versions/1/description", json={"description": "v1"}, headers=h
        ).status_code
        == 200
    )
    assert (
        c.post("/api/models/taxi-model/tag", json={"key": "k", "value": "v"}, headers=h).status_code
        == 200
    )
    assert (
        c.post(
            "/api/models/taxi-model/versions/1/tag", json={"key": "k", "value": "v"}, headers=h
        ).status_code
        == 200
    )
    assert lc.get_model_version("taxi-model", 1).tags == {"k": "v"}
    rid = ui["ids"]["run-3"]
    assert (
        c.post(f"/api/runs/{rid}/tag", json={"key": "note", "value": "x"}, headers=h).status_code
        == 200
    )
    assert (
        c.post(f"/api/runs/{rid}/description", json={"description": "d"}, headers=h).status_code
        == 200
    )
    assert lc.get_run(rid).data.tags["note"] == "x"
    assert (
        c.post(f"/api/runs/{rid}/tag", json={"key": "note", "delete": True}, headers=h).status_code
        == 200
    )
    assert "note" not in lc.get_run(rid).data.tags
    assert c.post(f"/api/runs/{rid}/delete", json={}, headers=h).status_code == 200
    assert lc.get_run(rid).info.lifecycle_stage == "deleted"
    assert len(c.get("/api/runs", params={"experiments": "taxi"}).json()["runs"]) == 5
    assert c.post(f"/api/runs/{rid}/restore", json={}, headers=h).status_code == 200
    assert lc.get_run(rid).info.lifecycle_stage == "active"
    assert (
        c.post("/api/runs/0123456789abcdef0123456789abcdef/delete", json={}, headers=h).status_code
        == 404
    )
    assert c.post(f"/api/runs/{rid}/tag", json={"key": 5}, headers=h).status_code == 400


def test_read_only_has_no_actions(ui: dict[str, Any]) -> None:
    import litetrack

    c = ui["client"](read_only=True)
    cfg = c.get("/api/config").json()
    assert cfg["read_only"] is True and cfg["csrf_token"] is None
    r = c.post(
        "/api/models/taxi-model/versions/1/stage",
        json={"stage": "Production"},
        headers={"x-csrf-token": ""},
    )
    assert r.status_code == 403 and "read-only" in r.json()["error"]
    assert c.post(f"/api/runs/{ui['ids']['run-0']}/delete", json={}).status_code == 403
    lc = litetrack.Client(str(ui["store"]))
    assert lc.get_model_version("taxi-model", 1).current_stage == "None"
    assert lc.get_run(ui["ids"]["run-0"]).info.lifecycle_stage == "active"


def test_token_required_off_loopback(ui: dict[str, Any]) -> None:
    token = "t" * 32
    c = ui["client"](token=token, allowed=["*"], base_url="http://192.0.2.10:5000")
    assert c.get("/").status_code == 401
    assert c.get("/api/experiments").status_code == 401
    assert c.get("/static/app.js").status_code == 401
    assert c.get("/api/experiments", headers={"authorization": "Bearer wrong"}).status_code == 401
    assert (
        c.get("/api/experiments", headers={"authorization": f"Bearer {token}"}).status_code == 200
    )
    first = c.get(f"/?token={token}")
    assert first.status_code == 200 and "HttpOnly" in first.headers["set-cookie"]
    # The cookie now carries the token for the page's own requests.
    assert c.get("/api/experiments").status_code == 200


def test_host_header_checked_on_loopback(ui: dict[str, Any]) -> None:
    c = ui["client"](base_url="http://evil.example:5000")
    assert c.get("/api/experiments").status_code == 400
    assert ui["client"](base_url="http://localhost:5000").get("/api/experiments").status_code == 200


def test_server_token_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    from litetrack.errors import InvalidArgument
    from litetrack.ui.server import access_token_for, is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")
    assert access_token_for("127.0.0.1") is None
    assert len(access_token_for("0.0.0.0") or "") >= 16
    monkeypatch.setenv("LITETRACK_UI_TOKEN", "s" * 20)
    assert access_token_for("0.0.0.0") == "s" * 20
    monkeypatch.setenv("LITETRACK_UI_TOKEN", "short")
    with pytest.raises(InvalidArgument, match="too short"):
        access_token_for("0.0.0.0")


def test_report_is_self_contained(ui: dict[str, Any], tmp_path: Path) -> None:
    from litetrack.cli import main

    out = tmp_path / "r.html"
    assert (
        main(
            [
                "--store",
                str(ui["store"]),
                "report",
                "taxi",
                "--filter",
                "metrics.mae < 8",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    text = out.read_text()
    assert 'http-equiv="Content-Security-Policy"' in text and "'sha256-" in text
    assert "<script src" not in text and "<link" not in text
    payload = text.split('<script type="application/json" id="litetrack-report">')[1].split(
        "</script>"
    )[0]
    data = json.loads(payload)
    assert len(data["runs"]) == 5 and data["filter"] == "metrics.mae < 8"
    assert XSS_NAME not in payload  # "<" is escaped inside the script element
    assert set(data["histories"][ui["ids"]["run-0"]]) == {"mae", "rmse"}
    assert (
        main(
            [
                "--store",
                str(ui["store"]),
                "report",
                "taxi",
                "--filter",
                "metrics.mae <",
                "-o",
                str(out),
            ]
        )
        == 1
    )


def test_ui_command_needs_the_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from litetrack.cli import main

    assert main(["ui", "--store", str(tmp_path / "missing"), "--no-browser"]) == 1
    assert "No litetrack store" in capsys.readouterr().err


def test_import_litetrack_does_not_import_the_web_stack() -> None:
    from conftest import run_python

    out = run_python(
        "import sys, litetrack; print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('starlette', 'uvicorn', 'anyio') or m.startswith('litetrack.ui')))"
    )
    assert out.stdout.strip() == "[]"


def test_ui_command_serves_until_stopped(ui: dict[str, Any]) -> None:
    import os
    import subprocess
    import urllib.request

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "litetrack",
            "--store",
            str(ui["store"]),
            "ui",
            "--port",
            "0",
            "--no-browser",
            "--read-only",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("litetrack UI on http://127.0.0.1:") and "(read-only)" in line
        url = line.split(" on ", 1)[1].split()[0]
        with urllib.request.urlopen(url + "api/config", timeout=30) as r:
            assert json.loads(r.read())["read_only"] is True
    finally:
        proc.terminate()
        proc.wait(30)


def test_killed_run_reads_killed(ui: dict[str, Any]) -> None:
    import subprocess

    code = (
        "import litetrack, os, sys\n"
        "litetrack.set_tracking_uri(sys.argv[1])\n"
        "litetrack.set_experiment('taxi')\n"
        "run = litetrack.start_run(run_name='dies')\n"
        "litetrack.log_metric('mae', 1.0)\n"
        "print(run.info.run_id, flush=True)\n"
        "os._exit(0)\n"  # dies without ending the run
    )
    rid = subprocess.run(
        [sys.executable, "-c", code, str(ui["store"])], capture_output=True, text=True, check=True
    ).stdout.strip()
    c = ui["client"]()
    rows = c.get(
        "/api/runs", params={"experiments": "taxi", "filter": "attributes.status = 'KILLED'"}
    )
    assert [(r["run_id"], r["status"]) for r in rows.json()["runs"]] == [(rid, "KILLED")]
    assert c.get(f"/api/runs/{rid}").json()["status"] == "KILLED"


def test_tokens_with_odd_characters_are_refused_not_crashing(ui: dict[str, Any]) -> None:
    c = ui["client"](token="t" * 32, allowed=["*"], base_url="http://192.0.2.10:5000")
    assert c.get("/api/experiments", params={"token": "\u00e9t\u00e9"}).status_code == 401
    c2 = ui["client"]()
    r = c2.post("/api/runs/x/delete", json={}, headers={"x-csrf-token": b"\xc3\xa9"})
    assert r.status_code == 403
