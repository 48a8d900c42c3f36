"""``python -m litetrack models``: ls, show, stage, alias, history, with and without --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import litetrack
from litetrack import Client
from litetrack.cli import main
from litetrack.registry import register_model


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["models", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _model_run(rmse: float, size: int = 100) -> str:
    with litetrack.start_run() as run:
        litetrack.log_metrics({"rmse": rmse, "mae": rmse / 2})
        litetrack.log_text("flavors: {}\n", "model/MLmodel")
        litetrack.log_text("w" * size, "model/model.bin")
    return run.info.run_id


@pytest.fixture
def taxi(store_path: Path) -> list[str]:
    runs = [_model_run(6.5), _model_run(6.1, 5000), _model_run(5.9, 20_000)]
    for rid in runs:
        register_model(f"runs:/{rid}/model", "taxi duration")
    register_model(f"runs:/{runs[0]}/model", "fraud")
    return runs


def test_ls(taxi: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    Client().transition_model_version_stage("taxi duration", 2, "Production")
    Client().set_registered_model_alias("taxi duration", "champion", 3)
    code, out, _ = _run(capsys, "ls", "--width", "0")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["name", "latest", "stages", "aliases", "updated"]
    assert lines[1].startswith("fraud")
    assert "taxi duration" in lines[2] and "Production: 2" in lines[2] and "@champion=3" in lines[2]
    code, out, _ = _run(capsys, "ls", "--json")
    data = json.loads(out)
    assert [m["name"] for m in data] == ["fraud", "taxi duration"]
    assert data[1]["stages"] == {"Production": [2]} and data[1]["latest_version"] == 3
    code, out, _ = _run(capsys, "ls", "--filter", "name LIKE '%taxi%'", "--json")
    assert [m["name"] for m in json.loads(out)] == ["taxi duration"]
    code, _, err = _run(capsys, "ls", "--filter", "metrics.x > 1")
    assert code == 1 and "unknown prefix 'metrics'" in err


def test_show_puts_run_metrics_duration_and_size_next_to_each_version(
    taxi: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    c = Client()
    c.transition_model_version_stage("taxi duration", 3, "Staging")
    c.set_registered_model_alias("taxi duration", "challenger", 3)
    c.delete_run(taxi[1])  # soft-deleted: still readable, marked
    import shutil

    shutil.rmtree(c.store.runs.run_dir(taxi[0]))  # gone for good: "-"
    code, out, _ = _run(capsys, "show", "taxi duration", "--width", "0")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Registered model 'taxi duration'")
    header = lines[1].split()
    assert header == [
        "version",
        "stage",
        "aliases",
        "mae",
        "rmse",
        "duration",
        "size",
        "created",
        "run",
    ]
    v3, v2, v1 = lines[2], lines[3], lines[4]
    assert v3.split()[:5] == ["3", "Staging", "@challenger", "2.95", "5.9"] and "20.0 KB" in v3
    assert "6.1" in v2 and "5.0 KB" in v2 and "(deleted)" in v2
    assert v1.split()[1:3] == ["-", "-"] and "(gone)" in v1 and "112 B" in v1
    code, out, _ = _run(capsys, "show", "taxi duration", "--json")
    d = json.loads(out)
    assert [v["version"] for v in d["versions"]] == [3, 2, 1]
    assert d["versions"][0]["metrics"] == {"rmse": 5.9, "mae": 2.95}
    assert d["versions"][0]["size_bytes"] == 20_000 + len("flavors: {}\n")
    assert d["versions"][0]["duration_s"] is not None and d["versions"][0]["stage"] == "Staging"
    assert d["versions"][2]["metrics"] is None and d["versions"][2]["run"] is None
    code, out, _ = _run(
        capsys, "show", "taxi duration", "--metrics", "rmse", "--limit", "1", "--width", "0"
    )
    assert out.splitlines()[1].split() == [
        "version",
        "stage",
        "aliases",
        "rmse",
        "duration",
        "size",
        "created",
        "run",
    ]
    assert len(out.splitlines()) == 3


def test_stage_alias_and_history(taxi: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "stage", "taxi duration", "1", "production", "-m", "baseline")
    assert (code, out.strip()) == (0, "taxi duration: version 1 None -> Production")
    code, out, _ = _run(
        capsys, "stage", "taxi duration", "3", "Production", "--archive-existing", "-m", "best rmse"
    )
    assert out.strip() == "taxi duration: version 3 None -> Production (archived: 1)"
    code, out, _ = _run(capsys, "stage", "taxi duration", "2", "staging", "--json")
    assert json.loads(out) == {
        "name": "taxi duration",
        "version": 2,
        "from": "None",
        "to": "Staging",
        "archived": [],
        "comment": None,
    }
    code, out, _ = _run(capsys, "alias", "taxi duration", "champion", "3", "-m", "ship it")
    assert out.strip() == "taxi duration: @champion -> version 3"
    code, out, _ = _run(capsys, "alias", "taxi duration", "champion", "2")
    assert out.strip() == "taxi duration: @champion -> version 2 (was version 3)"
    code, out, _ = _run(capsys, "alias", "taxi duration", "champion", "--delete", "--json")
    assert json.loads(out) == {
        "name": "taxi duration",
        "alias": "champion",
        "from": 2,
        "to": None,
        "removed": True,
    }
    code, out, _ = _run(capsys, "alias", "taxi duration", "champion", "--delete")
    assert "no alias @champion" in out
    code, out, _ = _run(capsys, "history", "taxi duration", "--width", "0")
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["time", "user", "version", "action"]
    text = "\n".join(lines)
    assert "None -> Production" in text and "baseline" in text and "best rmse" in text
    assert "Production -> Archived" in text and "archived by the move of version 3" in text
    assert "set_alias @champion" in text and "ship it" in text
    code, out, _ = _run(capsys, "history", "taxi duration", "--json", "--limit", "2")
    recs = json.loads(out)
    assert [r["action"] for r in recs] == ["set_alias", "delete_alias"]


def test_bad_input_gives_clear_errors(taxi: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "show", "taxi")
    assert code == 1 and "no registered model named 'taxi'" in err and "'taxi duration'" in err
    code, _, err = _run(capsys, "stage", "taxi duration", "1", "prod")
    assert code == 1 and "Value must be one of None, Staging, Production, Archived" in err
    code, _, err = _run(capsys, "stage", "taxi duration", "9", "Production")
    assert code == 1 and "no version 9" in err
    code, _, err = _run(capsys, "stage", "taxi duration", "x", "Production")
    assert code == 1 and "Invalid model version 'x'" in err
    code, _, err = _run(capsys, "stage", "taxi duration", "1", "Archived", "--archive-existing")
    assert code == 1 and "only applies to stages Staging and Production" in err
    code, _, err = _run(capsys, "alias", "taxi duration", "latest", "1")
    assert code == 1 and "reserved" in err
    code, _, err = _run(capsys, "alias", "taxi duration", "champion")
    assert code == 1 and "VERSION" in err
    code, out, _ = _run(capsys, "history", "never existed")
    assert code == 1 and "No history" in out


def test_corrupt_model_document_is_named_and_history_still_works(
    taxi: list[str], store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from litetrack.store.registry.store import model_key

    Client().transition_model_version_stage("taxi duration", 2, "Production", comment="why not")
    mj = store_path / "registry" / model_key("taxi duration") / "model.json"
    mj.write_text("{ this is not json")
    code, _, err = _run(capsys, "show", "taxi duration")
    assert code == 1 and str(mj) in err and "not valid JSON" in err
    code, out, err = _run(capsys, "ls")
    assert code == 1 and str(mj) in err and "fraud" in out  # the others are still listed
    code, out, _ = _run(capsys, "history", "taxi duration", "--width", "0")
    assert code == 0 and "None -> Production" in out and "why not" in out


def test_missing_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "ls", "--store", str(tmp_path / "nowhere"))
    assert code == 1 and "No litetrack store" in err


def test_no_models(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with litetrack.start_run():
        pass
    code, out, _ = _run(capsys, "ls")
    assert code == 0 and "No registered models" in out
