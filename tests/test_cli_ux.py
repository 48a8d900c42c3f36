"""The CLI as a person meets it: tables that fit, typos told, the expected commands,
progress on long work, help with examples, a pager for long output (issue 13)."""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import litetrack
from litetrack.cli import build_parser, main
from litetrack.cli import table as table_mod


def _sweep(n: int = 4) -> list[str]:
    litetrack.set_experiment("taxi")
    ids = []
    for i in range(n):
        with litetrack.start_run(run_name=f"xgboost-depth-{i}-lr-0.1-long-run-name") as run:
            litetrack.log_params(
                {
                    "max_depth": i + 3,
                    "learning_rate": 0.1,
                    "min_child_weight": 3,
                    "objective": "reg:squarederror",
                    "rmse": "param-named-like-a-metric",
                }
            )
            litetrack.log_metrics({"rmse": 7.0 - i, "mae": 3.0 + i, "validation-rmse": 6.0})
            litetrack.log_text("hello", "notes/readme.txt")
            litetrack.log_dict({"a": i}, "cfg.json")
            time.sleep(0.002 * i)  # distinct durations
        ids.append(run.info.run_id)
        time.sleep(0.002)
    return ids


def _out(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- tables that fit ---------------------------------------------------------------------


def test_ls_at_80_columns_keeps_ids_and_names_whole_and_drops_no_column(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _sweep()
    code, out, _ = _out(capsys, "ls", "taxi", "--width", "80")
    assert code == 0
    lines = out.splitlines()
    assert max(map(len, lines)) <= 80
    for rid in ids:
        assert rid[:8] in out
    assert out.count("xgboost-depth-0-lr-0.1-long-run-name") >= 2  # repeated in each table part
    assert "…" not in out and "FINIS" not in out.replace("FINISHED", "")
    # Every column is somewhere, under a distinct header in its table.
    tables = [t for t in out.split("\n\n") if t.strip()]
    assert len(tables) >= 2
    assert "split into" in out  # says the table was split
    all_headers: list[str] = []
    for t in tables:
        headers = t.splitlines()[0].split()
        assert len(headers) == len(set(headers)), headers
        all_headers += headers
    for wanted in (
        "status",
        "start",
        "duration",
        "learning_rate",
        "max_depth",
        "min_child_weight",
        "objective",
        "mae",
        "validation-rmse",
    ):
        assert wanted in all_headers, wanted
    # metrics.rmse and params.rmse both exist: their short headers stay distinct.
    assert "m.rmse" in all_headers and "p.rmse" in all_headers


def test_piped_output_json_and_csv_are_never_cut(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _sweep()
    code, out, _ = _out(capsys, "ls", "taxi")  # capsys is not a terminal: a pipe
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 5 and max(map(len, lines)) > 120
    assert "params.min_child_weight" in lines[0] and "…" not in out
    code, out, _ = _out(capsys, "ls", "taxi", "--csv")
    assert out.splitlines()[0].startswith("run_id,name,status")
    assert len(out.splitlines()[1].split(",")[0]) == 32
    code, out, _ = _out(capsys, "ls", "taxi", "--json")
    assert len(json.loads(out)) == 4


def test_format_table_trims_only_a_column_wider_than_the_screen() -> None:
    text = table_mod.format_table(["id", "name", "note"], [["1", "a", "x" * 200]], width=40, keep=2)
    assert max(len(line) for line in text.splitlines()) <= 40
    assert "…" in text


def test_abbreviated_headers_stay_distinct() -> None:
    assert table_mod.abbreviate_headers(["metrics.rmse", "params.depth"]) == ["rmse", "depth"]
    assert table_mod.abbreviate_headers(["metrics.rmse", "params.rmse"]) == ["m.rmse", "p.rmse"]


# -- typos and sorting ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--filter", "metrics.rsme < 6"],
        ["--sort", "metrics.rsme"],
        ["--columns", "metrics.rsme"],
        ["--sort", "rsme"],
    ],
)
def test_typos_are_told_with_the_near_key(
    store_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    _sweep(2)
    code, out, err = _out(capsys, "ls", "taxi", *argv)
    assert code == 1 and out == ""
    assert "rsme" in err and "metrics.rmse" in err and "did you mean" in err
    assert "Traceback" not in err


def test_a_key_missing_from_the_matching_runs_only_is_no_typo(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _sweep(2)
    with litetrack.start_run(run_name="odd"):
        litetrack.log_metric("auc", 0.9)
    code, out, _ = _out(
        capsys, "ls", "taxi", "--filter", "metrics.rmse > 0", "--sort", "metrics.auc"
    )
    assert code == 0 and "odd" not in out


@pytest.mark.parametrize(
    "column, key",
    [
        ("name", lambda r: r.info.run_name),
        ("duration", lambda r: r.info.end_time - r.info.start_time),
        ("status", lambda r: r.info.status),
        ("start", lambda r: r.info.start_time),
        ("metrics.mae", lambda r: r.data.metrics["mae"]),
        ("params.max_depth", lambda r: r.data.params["max_depth"]),
        ("size", lambda r: r.sizes[0]),
    ],
)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_by_every_shown_column(
    store_path: Path, capsys: pytest.CaptureFixture[str], column: str, key, descending: bool
) -> None:
    _sweep()
    runs = {r.info.run_id: r for r in litetrack.search_runs(output_format="list")}
    sort = f"{column} DESC" if descending else column
    code, out, _ = _out(capsys, "ls", "taxi", "--sort", sort, "--json")
    assert code == 0
    got = [runs[r["run_id"]] for r in json.loads(out)]
    values = [key(r) for r in got]
    assert values == sorted(values, reverse=descending)


# -- commands people expect ----------------------------------------------------------------


def test_artifacts_ls_and_get(
    store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rid = _sweep(1)[0]
    code, out, _ = _out(capsys, "artifacts", "ls", rid[:8])
    assert code == 0 and "cfg.json" in out and "notes/" in out
    code, out, _ = _out(capsys, "artifacts", "ls", rid, "notes", "--json")
    assert [r["path"] for r in json.loads(out)] == ["notes/readme.txt"]
    code, out, _ = _out(capsys, "artifacts", "ls", rid, "-r", "--json")
    assert [r["path"] for r in json.loads(out)] == ["cfg.json", "notes/readme.txt"]
    dest = tmp_path / "copy"
    assert main(["artifacts", "get", rid, "notes", "-o", str(dest)]) == 0
    assert (dest / "notes" / "readme.txt").read_text() == "hello"
    assert main(["artifacts", "get", rid, "notes/readme.txt", "-o", str(dest)]) == 0
    assert (dest / "readme.txt").read_text() == "hello"  # under its own name
    capsys.readouterr()
    assert main(["artifacts", "get", rid, "notes/readme.txt", "-o", str(dest)]) == 1  # exists
    assert "--force" in capsys.readouterr().err
    assert main(["artifacts", "get", rid, "notes/readme.txt", "-o", str(dest), "--force"]) == 0
    assert (dest / "readme.txt").read_text() == "hello"
    code, _, err = _out(capsys, "artifacts", "get", rid, "nope.txt")
    assert code == 1 and "nope.txt" in err and "Traceback" not in err


def test_rm_restore_runs_and_ls_all_marks_deleted(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _sweep(2)
    code, out, _ = _out(capsys, "rm", ids[0][:10])
    assert code == 0 and "Deleted run" in out and "restore" in out
    assert litetrack.get_run(ids[0]).info.lifecycle_stage == "deleted"
    _, out, _ = _out(capsys, "ls", "taxi", "--width", "0")
    assert ids[0][:8] not in out
    _, out, _ = _out(capsys, "ls", "taxi", "--all", "--width", "0")
    line = next(li for li in out.splitlines() if li.startswith(ids[0][:8]))
    assert "deleted" in line
    assert "deleted" not in next(li for li in out.splitlines() if li.startswith(ids[1][:8]))
    _, out, _ = _out(capsys, "ls", "taxi", "--all", "--json")
    assert {r["run_id"]: r["lifecycle_stage"] for r in json.loads(out)}[ids[0]] == "deleted"
    code, _, err = _out(capsys, "rm", ids[0])
    assert code == 1 and "already deleted" in err
    assert main(["restore", ids[0]]) == 0
    assert litetrack.get_run(ids[0]).info.lifecycle_stage == "active"


def test_rm_restore_experiments(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _sweep(1)
    assert main(["rm", "--experiment", "taxi"]) == 0
    capsys.readouterr()
    _, out, _ = _out(capsys, "ls")
    assert "taxi" not in out
    _, out, _ = _out(capsys, "ls", "--all")
    assert "taxi" in out and "deleted" in out
    assert main(["restore", "-e", "taxi"]) == 0
    assert litetrack.get_experiment_by_name("taxi").lifecycle_stage == "active"
    code, _, err = _out(capsys, "rm", "-e", "nope")
    assert code == 1 and "nope" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"litetrack {litetrack.__version__}"


def test_show_prints_the_experiment_name_and_artifacts(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rid = _sweep(1)[0]
    code, out, _ = _out(capsys, "show", rid[:8])
    assert code == 0
    assert "experiment  taxi" in out
    assert "Artifacts" in out and "notes/readme.txt" in out and "cfg.json" in out
    _, out, _ = _out(capsys, "show", rid, "--json")
    d = json.loads(out)
    assert d["experiment_name"] == "taxi"
    assert [a["path"] for a in d["artifacts"]] == ["cfg.json", "notes/readme.txt"]


# -- completion --------------------------------------------------------------------------------


def _subparsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """Every (command path, parser) of the CLI, found by walking the parser (no fixed list)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield (*path, name), child
                yield from _subparsers(child, (*path, name))


def test_bash_completion_completes_every_command(tmp_path: Path) -> None:
    from litetrack.cli.completion import script

    parser = build_parser()
    commands = [p for p, _ in _subparsers(parser)]
    script_file = tmp_path / "completion.bash"
    script_file.write_text(script("bash"))

    def complete(*words: str) -> set[str]:
        line = " ".join(f"'{w}'" for w in words)
        code = (
            f"source {script_file}; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; "
            "_litetrack_complete; printf '%s\\n' \"${COMPREPLY[@]}\""
        )
        proc = subprocess.run(["bash", "-c", code], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return set(proc.stdout.split())

    top = {p[0] for p in commands}
    assert complete("python", "-m", "litetrack", "") >= top | {"--store", "--version"}
    assert complete("litetrack", "") >= top
    for path in commands:
        if len(path) == 2:  # subcommands of a group, e.g. models stage
            assert path[1] in complete("python", "-m", "litetrack", path[0], "")
    assert complete("python", "-m", "litetrack", "ls", "--so") == {"--sort"}
    assert complete("litetrack", "--store", "/x", "mod") == {"models"}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_name_every_command(
    shell: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    assert main(["completion", shell]) == 0
    text = capsys.readouterr().out
    for path, _ in _subparsers(build_parser()):
        assert re.search(rf"\b{re.escape(path[-1])}\b", text), path
    binary = shutil.which(shell)
    if binary and shell != "bash":
        proc = subprocess.run(
            [binary, "-n"], input=text, capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0, proc.stderr


# -- help ----------------------------------------------------------------------------------------


def test_every_subcommand_help_has_a_description_and_examples() -> None:
    found = list(_subparsers(build_parser()))
    assert len(found) >= 10
    for path, parser in found:
        name = " ".join(path)
        assert parser.description and len(parser.description) > 20, f"{name}: no description"
        assert parser.epilog and "python -m litetrack" in parser.epilog, f"{name}: no examples"
        help_text = parser.format_help()
        assert "examples:" in help_text, name


# -- progress ----------------------------------------------------------------------------------


def test_progress_bars_only_on_a_terminal(
    store_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _sweep(3)
    for argv in (["verify"], ["gc", "--dry-run"], ["reindex"]):
        code, out, err = _out(capsys, *argv)
        assert code == 0 and err == ""  # piped: no bar
        assert len(out.strip().splitlines()) <= 2  # a one-line summary (and OK)
    from litetrack.cli import progress as progress_mod

    fake_tty = io.StringIO()
    fake_tty.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stderr", fake_tty)
    monkeypatch.setattr(progress_mod.sys, "stderr", fake_tty)
    for argv in (["verify"], ["gc", "--dry-run"], ["reindex"]):
        fake_tty.seek(0)
        fake_tty.truncate()
        assert main(argv) == 0
        drawn = fake_tty.getvalue()
        assert "runs" in drawn and "3/3" in drawn, (argv, drawn)


def test_import_mlflow_progress_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from litetrack.cli import progress as progress_mod

    mlruns = Path(__file__).parent / "data" / "mlflow2" / "mlruns"
    fake_tty = io.StringIO()
    fake_tty.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(progress_mod.sys, "stderr", fake_tty)
    main(["import-mlflow", str(mlruns), "--store", str(tmp_path / "dest")])
    assert "import-mlflow: runs of" in fake_tty.getvalue()


# -- pager -------------------------------------------------------------------------------------


def test_long_listing_goes_through_the_pager_on_a_terminal(
    store_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _sweep(6)
    paged = tmp_path / "paged.txt"
    monkeypatch.setenv("LITETRACK_PAGER", f"cat > {paged}")
    monkeypatch.setattr(table_mod, "terminal_height", lambda: 4)
    # Not a terminal: printed directly, the pager is not started.
    assert main(["ls", "taxi", "--width", "0"]) == 0
    assert "xgboost-depth-5" in capsys.readouterr().out and not paged.exists()
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["ls", "taxi", "--width", "0"]) == 0
    assert "xgboost-depth-5" in paged.read_text()
    assert "xgboost-depth-5" not in capsys.readouterr().out
    paged.unlink()
    assert main(["ls", "taxi", "--width", "0", "--no-pager"]) == 0
    assert not paged.exists() and "xgboost-depth-5" in capsys.readouterr().out
    assert main(["--no-pager", "ls", "taxi", "--width", "0"]) == 0
    assert not paged.exists()
    # A short listing is not paged.
    monkeypatch.setattr(table_mod, "terminal_height", lambda: 100)
    assert main(["ls", "taxi", "--width", "0"]) == 0
    assert not paged.exists()
