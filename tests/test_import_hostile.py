"""A hostile MLflow folder cannot make ``import-mlflow`` read or write outside it (issue 12 item 1).

The folder below is built by hand the way an attacker would: params, tags and
artifacts that are symlinks to a secret file outside the folder, a run whose
whole ``artifacts/`` folder is a symlink out, a FIFO among the artifacts,
logged models named ``/tmp/x`` and ``../../../../x``, and registry versions
whose files are a symlink out, a path out, or hold a symlink out. After the
import the secret is nowhere in the store, every skipped entry is named in
the summary, and every artifact path obeys the rules of ``log_artifact``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import bounded

import litetrack
from litetrack import Client
from litetrack.cli import main
from litetrack.store.paths import validate_artifact_path

SECRET = "TOP SECRET, outside the imported folder"
R1 = "a" * 32
R2 = "b" * 32


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _run(exp: Path, run_id: str) -> Path:
    folder = exp / run_id
    _write(
        folder / "meta.yaml",
        f"artifact_uri: file:///gen/mlruns/1/{run_id}/artifacts\n"
        f"experiment_id: '1'\nlifecycle_stage: active\nrun_id: {run_id}\n"
        f"run_name: {run_id[:4]}\nstart_time: 1\nend_time: 2\nstatus: 3\nuser_id: eve\n",
    )
    return folder


def _logged_model(exp: Path, model_id: str, name: str) -> None:
    folder = exp / "models" / model_id
    _write(
        folder / "meta.yaml",
        f"artifact_location: file:///gen/mlruns/1/models/{model_id}/artifacts\n"
        f"experiment_id: '1'\nmodel_id: {model_id}\nname: {name}\n"
        f"source_run_id: {R1}\nstatus: 2\n",
    )
    _write(folder / "artifacts" / "evil.txt", "written where?")


def _registry(mlruns: Path, name: str) -> Path:
    folder = mlruns / "models" / name
    _write(folder / "meta.yaml", f"name: {name}\ncreation_timestamp: 1\n")
    return folder


def _version(registry: Path, n: int, storage: str) -> Path:
    folder = registry / f"version-{n}"
    _write(
        folder / "meta.yaml",
        f"creation_timestamp: 1\ncurrent_stage: None\nlast_updated_timestamp: 1\n"
        f"name: {registry.name}\nrun_id: null\nsource: {storage}\nstatus: READY\n"
        f"storage_location: {storage}\nversion: {n}\n",
    )
    return folder


def build_hostile_store(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    outside = tmp_path / "outside"
    _write(outside / "leak.txt", SECRET)
    mlruns = tmp_path / "drop" / "mlruns"
    _write(
        mlruns / "0" / "meta.yaml", "experiment_id: '0'\nname: Default\nlifecycle_stage: active\n"
    )
    exp = mlruns / "1"
    _write(exp / "meta.yaml", "experiment_id: '1'\nname: hostile\nlifecycle_stage: active\n")

    r1 = _run(exp, R1)
    _write(r1 / "params" / "ok", "1")
    os.symlink(secret, r1 / "params" / "stolen")
    _write(r1 / "tags" / "fine", "yes")
    os.symlink(secret, r1 / "tags" / "stolen_tag")
    _write(r1 / "artifacts" / "ok.txt", "ok")
    os.symlink(secret, r1 / "artifacts" / "passwd")
    os.symlink(r1 / "artifacts" / "ok.txt", r1 / "artifacts" / "inside_link")  # inside: kept
    os.mkfifo(r1 / "artifacts" / "pipe")
    os.symlink(".", r1 / "artifacts" / "again")  # a loop inside the folder
    os.symlink(".", r1 / "params" / "up")  # a loop in params

    r2 = _run(exp, R2)
    _write(r2 / "params" / "p", "2")
    os.symlink(outside, r2 / "artifacts")

    _logged_model(exp, "m-abs", f"/tmp/litetrack-hostile-{os.getpid()}")
    _logged_model(exp, "m-up", "../../../../litetrack-hostile-up")

    # One registered model per case: a version whose files cannot be
    # imported fails its whole registered model.
    v1 = _version(
        _registry(mlruns, "reg-link"), 1, "file:///gen/mlruns/models/reg-link/version-1/files"
    )
    os.symlink(outside, v1 / "files")
    _version(_registry(mlruns, "reg-path"), 1, f"file://{outside}")
    v3 = _version(
        _registry(mlruns, "reg-inner"), 1, "file:///gen/mlruns/models/reg-inner/version-1/files"
    )
    _write(v3 / "files" / "MLmodel", "flavors: {}\n")
    os.symlink(secret, v3 / "files" / "leak")
    return mlruns


def _blobs_hold_secret(store: Path) -> bool:
    for blob in (store / "objects").rglob("*"):
        if blob.is_file() and SECRET.encode() in blob.read_bytes():
            return True
    return False


def test_hostile_folder_reads_nothing_outside(
    store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mlruns = build_hostile_store(tmp_path)
    with bounded(60):
        main(["--store", str(store_path), "import-mlflow", str(mlruns)])
    out = capsys.readouterr()
    report = out.out + out.err

    assert not _blobs_hold_secret(store_path)
    c = Client(str(store_path))
    run1 = c.get_run(R1)
    assert run1.data.params == {"ok": "1"}
    assert "stolen_tag" not in run1.data.tags and run1.data.tags["fine"] == "yes"
    manifest = c.store.runs.read(R1).get("artifacts") or {}
    assert sorted(manifest) == ["inside_link", "ok.txt"]
    assert c.store.runs.read(R2).get("artifacts") in (None, {})
    for run_id in (R1, R2):
        for path in c.store.runs.read(run_id).get("artifacts") or {}:
            assert validate_artifact_path(path) == path

    # Every skipped entry is named in the summary, with the reason.
    for name in ("params/stolen", "tags/stolen_tag", "artifacts/passwd", f"{R2}/artifacts"):
        assert any(
            name in line and "outside the imported folder" in line for line in report.splitlines()
        ), name
    assert any("artifacts/pipe" in line and "FIFO" in line for line in report.splitlines())
    assert any("artifacts/again" in line and "already read" in line for line in report.splitlines())
    assert "logged model m-abs skipped" in report and "is absolute" in report
    assert "logged model m-up skipped" in report and "'..'" in report
    assert any(
        "reg-inner/version-1/files/leak" in line and "outside" in line
        for line in report.splitlines()
    )
    assert "registered model 'reg-link' not imported" in report
    assert "registered model 'reg-path' not imported" in report

    # The version whose folder held a symlink out is imported without it.
    litetrack.set_tracking_uri(str(store_path))
    got = litetrack.artifacts.download_artifacts(
        "models:/reg-inner/1", dst_path=str(tmp_path / "v")
    )
    assert sorted(p.name for p in Path(got).iterdir()) == ["MLmodel"]
    for name in ("reg-link", "reg-path"):
        with pytest.raises(LookupError):
            litetrack.artifacts.download_artifacts(
                f"models:/{name}/1", dst_path=str(tmp_path / name)
            )
    assert not _blobs_hold_secret(store_path)

    # Downloading the runs writes only inside dst.
    dl = tmp_path / "box" / "dl"
    for run_id in (R1, R2):
        litetrack.artifacts.download_artifacts(run_id=run_id, dst_path=str(dl))
    assert not Path(f"/tmp/litetrack-hostile-{os.getpid()}").exists()
    assert not (tmp_path / "litetrack-hostile-up").exists()
    assert sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "box").rglob("*")) == [
        "box/dl",
        "box/dl/inside_link",
        "box/dl/ok.txt",
    ]


def test_hostile_folder_dry_run_counts_only_what_would_be_read(
    store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mlruns = build_hostile_store(tmp_path)
    with bounded(60):
        main(["--store", str(store_path), "import-mlflow", str(mlruns), "--dry-run"])
    report = capsys.readouterr().out
    assert "artifact files: 2 (" in report, report
