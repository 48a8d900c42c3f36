"""Artifacts: content-addressed, deduplicated, verified, path-safe."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

import litetrack
from litetrack import Client
from litetrack.errors import (
    ArtifactNotFound,
    ChecksumMismatch,
    InvalidArgument,
    InvalidArtifactPath,
    RunNotFound,
)


def _blobs(store_path: Path) -> list[Path]:
    return [p for p in (store_path / "objects" / "sha256").rglob("*") if p.is_file()]


def test_log_and_read_back(store_path: Path, tmp_path: Path) -> None:
    f = tmp_path / "preprocessor.bin"
    f.write_bytes(b"\x00\x01binary")
    d = tmp_path / "dir"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text("a")
    (d / "sub" / "b.txt").write_text("bb")
    with litetrack.start_run() as run:
        litetrack.log_artifact(str(f), artifact_path="preprocessor")
        litetrack.log_artifacts(str(d), artifact_path="data")
        litetrack.log_text("hello", "notes/readme.txt")
        litetrack.log_dict({"a": 1, "b": [1, 2]}, "config.json")
        litetrack.log_dict({"a": 1}, "config.yaml")
        uri = litetrack.get_artifact_uri("config.json")
    rid = run.run_id
    c = Client()
    assert [(x.path, x.is_dir) for x in c.list_artifacts(rid)] == [
        ("config.json", False), ("config.yaml", False), ("data", True), ("notes", True), ("preprocessor", True)
    ]
    assert [(x.path, x.file_size) for x in c.list_artifacts(rid, "data")] == [("data/a.txt", 1), ("data/sub", None)]
    assert uri == f"runs:/{rid}/config.json"
    assert litetrack.artifacts.load_dict(uri) == {"a": 1, "b": [1, 2]}
    assert litetrack.artifacts.load_dict(f"runs:/{rid}/config.yaml") == {"a": 1}
    assert litetrack.artifacts.load_text(f"runs:/{rid}/notes/readme.txt") == "hello"
    out = c.download_artifacts(rid, "preprocessor", str(tmp_path / "dl"))
    assert Path(out, "preprocessor.bin").read_bytes() == b"\x00\x01binary"
    whole = litetrack.artifacts.download_artifacts(run_id=rid, dst_path=str(tmp_path / "all"))
    assert Path(whole, "data", "sub", "b.txt").read_text() == "bb"
    # The downloaded copy can be modified without touching the store.
    Path(whole, "data", "sub", "b.txt").write_text("changed")
    assert litetrack.artifacts.load_text(f"runs:/{rid}/data/sub/b.txt") == "bb"
    assert litetrack.get_run(rid).sizes[0] > 0


def test_load_image_and_bad_json_as_in_mlflow(store_path: Path) -> None:
    # mlflow.artifacts.load_image returns a PIL image; load_dict on text that is not JSON
    # raises an MlflowException ("Unable to form a JSON object"), not json's own error.
    np = pytest.importorskip("numpy")
    pytest.importorskip("PIL")
    image = np.zeros((4, 6, 3), dtype=np.uint8)
    with litetrack.start_run() as run:
        litetrack.log_image(image, "img/black.png")
        litetrack.log_text("not json", "bad.json")
    img = litetrack.artifacts.load_image(f"runs:/{run.run_id}/img/black.png")
    assert (img.size, img.mode) == ((6, 4), "RGB")
    with pytest.raises(InvalidArgument, match="as an image"):
        litetrack.artifacts.load_image(f"runs:/{run.run_id}/bad.json")
    with pytest.raises(InvalidArgument, match="Unable to form a JSON object"):
        litetrack.artifacts.load_dict(f"runs:/{run.run_id}/bad.json")


def test_same_bytes_stored_once(store_path: Path, tmp_path: Path) -> None:
    f = tmp_path / "model.bin"
    f.write_bytes(os.urandom(100_000))
    for _ in range(5):
        # No capture: its source and environment blobs would count too.
        with litetrack.start_run(capture_source=False, capture_environment=False):
            litetrack.log_artifact(str(f))
            litetrack.log_text("same text", "t.txt")
    assert len(_blobs(store_path)) == 2


def _put_same(args: tuple[str, str]) -> str:
    store, path = args
    c = Client(store)
    rid = c.create_run("0").info.run_id
    c.log_artifact(rid, path, "shared")
    c.set_terminated(rid)
    return rid


def test_same_file_from_four_processes(store_path: Path, tmp_path: Path) -> None:
    f = tmp_path / "big.bin"
    f.write_bytes(os.urandom(3_000_000))
    Client().create_experiment("warm")  # create the store first
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        rids = pool.map(_put_same, [(str(store_path), str(f))] * 4)
    assert len(set(rids)) == 4
    assert len(_blobs(store_path)) == 1
    c = Client()
    for rid in rids:
        assert c.list_artifacts(rid, "shared")[0].file_size == 3_000_000
        got = c.download_artifacts(rid, "shared/big.bin", str(tmp_path / rid))
        assert Path(got).read_bytes() == f.read_bytes()
    assert not list((store_path / "objects" / "tmp").glob("*"))


@pytest.mark.parametrize(
    "bad", ["../escape.txt", "/abs.txt", "a/../../b", "a\\b", "a\x00b", "C:/x", "..", "a//b/../../../c"]
)
def test_path_traversal_refused_and_nothing_written(store_path: Path, bad: str) -> None:
    with litetrack.start_run() as run:
        with pytest.raises(InvalidArtifactPath):
            litetrack.log_text("x", bad)
    assert Client().list_artifacts(run.run_id) == []


def test_bad_local_paths(store_path: Path, tmp_path: Path) -> None:
    with litetrack.start_run():
        with pytest.raises(InvalidArgument, match="no such file"):
            litetrack.log_artifact(str(tmp_path / "missing.bin"))
        # MLflow raises FileNotFoundError there: code catching it keeps working.
        with pytest.raises(FileNotFoundError, match="no such file"):
            litetrack.log_artifact(str(tmp_path / "missing.bin"))
        with pytest.raises(InvalidArgument, match="no such folder"):
            litetrack.log_artifacts(str(tmp_path / "nope"))
        with pytest.raises(InvalidArgument, match="not a folder"):
            litetrack.log_artifacts(__file__)
        litetrack.log_text("x", "a/b.txt")
        with pytest.raises(InvalidArtifactPath, match="already a file"):
            litetrack.log_text("y", "a/b.txt/c.txt")
        with pytest.raises(InvalidArtifactPath, match="already a folder"):
            litetrack.log_text("y", "a")


def test_missing_artifact_errors(store_path: Path) -> None:
    with litetrack.start_run() as run:
        litetrack.log_text("x", "a.txt")
    with pytest.raises(ArtifactNotFound, match="nope"):
        Client().download_artifacts(run.run_id, "nope")
    with pytest.raises(ArtifactNotFound):
        litetrack.artifacts.load_text(f"runs:/{run.run_id}/b.txt")


def test_corrupted_blob_detected_on_verified_read(store_path: Path) -> None:
    with litetrack.start_run(capture_source=False, capture_environment=False) as run:
        litetrack.log_text("original", "a.txt")
    blob = _blobs(store_path)[0]
    os.chmod(blob, 0o644)
    blob.write_text("tampered")
    with pytest.raises(ChecksumMismatch) as e:
        litetrack.artifacts.load_text(f"runs:/{run.run_id}/a.txt")
    assert e.value.expected != e.value.actual


def test_log_figure(store_path: Path) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    with litetrack.start_run() as run:
        litetrack.log_figure(fig, "plots/curve.png")
    data = Path(Client().download_artifacts(run.run_id, "plots/curve.png")).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"


def test_client_writes_through_its_own_store(store_path: Path, tmp_path: Path) -> None:
    """Client(uri).log_text/log_dict/log_artifact write to that client's store, not the default."""
    other = Client(str(tmp_path / "other-store"))
    exp = other.create_experiment("elsewhere")
    rid = other.create_run(exp).info.run_id
    src = tmp_path / "notes.md"
    src.write_text("# notes")
    other.log_text(rid, "hello", "hello.txt")
    other.log_dict(rid, {"a": 1}, "config.json")
    other.log_artifact(rid, src)
    names = sorted(f.path for f in other.list_artifacts(rid))
    assert names == ["config.json", "hello.txt", "notes.md"]
    got = Path(other.download_artifacts(rid, "config.json", str(tmp_path / "dl")))
    assert got.read_text() == '{\n  "a": 1\n}'
    # Nothing reached the default store, and its fluent API does not know the run.
    assert not (store_path / "runs" / rid).exists()
    with pytest.raises(RunNotFound):
        Client().get_run(rid)
    with pytest.raises(InvalidArgument, match="str"):
        other.log_text(rid, b"bytes", "x.txt")  # type: ignore[arg-type]
