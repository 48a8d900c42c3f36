"""`ls` with filters, sorting, columns and outputs; `compare`."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest

import litetrack
from litetrack.cli import main


def _sweep() -> list[str]:
    litetrack.set_experiment("sweep")
    ids = []
    for i, (depth, rmse) in enumerate([(4, 7.0), (6, 6.2), (6, 6.8), (8, 6.4)]):
        with litetrack.start_run(run_name=f"r{i}") as run:
            litetrack.log_params({"max_depth": depth, "eta": 0.1})
            for step in range(3):
                litetrack.log_metric("rmse", rmse + (2 - step) * 0.5, step=step)
            litetrack.log_text("x" * (100 * (i + 1)), "model/MLmodel")
        ids.append(run.run_id)
        time.sleep(0.002)
    return ids


def test_ls_filter_sort_limit_columns(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _sweep()
    assert main(["ls", "sweep", "--filter", "metrics.rmse < 6.5", "--sort", "metrics.rmse",
                 "--json", "--columns", "metrics.rmse,params.max_depth,duration,model_size"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in rows] == [ids[1], ids[3]]
    assert rows[0]["metrics.rmse"] == 6.2 and rows[0]["params.max_depth"] == "6"
    assert rows[1]["model_size"] == 400 and rows[0]["duration"] >= 0
    assert main(["ls", "sweep", "--sort", "metrics.rmse DESC", "--limit", "2", "--csv",
                 "--columns", "metrics.rmse"]) == 0
    got = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [g["run_id"] for g in got] == [ids[0], ids[2]]
    assert main(["ls", "sweep", "--filter", "params.max_depth = '6'", "--width", "0"]) == 0
    out = capsys.readouterr().out
    assert ids[1][:8] in out and ids[2][:8] in out and ids[0][:8] not in out
    assert "model_size" in out.splitlines()[0]


def test_ls_bad_filter_is_a_clear_error(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _sweep()
    assert main(["ls", "sweep", "--filter", "metrics.rmse <"]) == 1
    err = capsys.readouterr().err
    assert "metrics.rmse <" in err and "Traceback" not in err
    assert main(["ls", "sweep", "--filter", "foo.bar = 1"]) == 1
    assert main(["ls", "sweep", "--columns", "nonsense"]) == 1


def test_compare(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _sweep()
    assert main(["compare", ids[0][:8], ids[1][:8], "--width", "0"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[1] if line.split()[0] == "*" else line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "* max_depth" in out and "eta" not in out  # identical params hidden
    assert "* rmse" in out and "7 [7..8]" in out
    assert main(["compare", ids[0], ids[1], "--all", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_label = {r["label"]: r for r in data["rows"]}
    assert by_label["eta"]["differ"] is False and by_label["max_depth"]["differ"] is True
    assert by_label["rmse"]["values"][1] == {"last": 6.2, "min": 6.2, "max": 7.2}
    assert by_label["model size"]["values"] == [100, 200]
    assert lines  # table rendered


def test_compare_shows_source_and_environment(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import run_python

    ids = [
        run_python(
            "import litetrack\n"
            "with litetrack.start_run() as r:\n"
            "    litetrack.log_param('p', 1)\n"
            "print(r.run_id)\n"
        ).stdout.strip()
        for _ in range(2)
    ]
    # Doctor the second run's environment: a package upgraded.
    from litetrack import Client
    from litetrack.capture import load_environment
    import json as _json

    c = Client()
    env = load_environment(ids[1], c.store)
    name = sorted(env["packages"])[0]
    env["packages"][name] = "0.0.0-doctored"
    blob = c.store.objects.put_bytes(_json.dumps(env, sort_keys=True).encode())
    c.store.runs.update_doc(ids[1], lambda d: d["environment"].update(digest=blob.digest, size=blob.size))
    assert main(["compare", ids[0], ids[1], "--json"]) == 0
    rows = {r["label"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    assert rows["python"]["differ"] is False
    assert rows["environment"]["differ"] is True
    assert rows["packages vs first"]["values"][0] == "="
    assert rows["packages vs first"]["values"][1].startswith("+0 -0 ~1")
    assert "script" in rows
