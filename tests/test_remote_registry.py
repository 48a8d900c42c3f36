"""The central registry on a remote: conditional writes instead of locks (S3 on moto, a folder)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from remote_fixtures import S3Server, remote_spec, s3_env, s3_server  # noqa: F401

import litetrack
from litetrack.client import Client
from litetrack.errors import (
    AlreadyExists,
    ChecksumMismatch,
    InvalidState,
    RegisteredModelNotFound,
    UnsupportedURI,
)
from litetrack.store import location
from litetrack.store.remote import open_remote

RemoteSpec = tuple[str, "str | None"]


@pytest.fixture
def registry(
    remote_spec: RemoteSpec,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    """A shared registry URI in use for this test (the endpoint via the standard env vars)."""
    url, _ = remote_spec  # S3: s3_env points the standard variables at the test server
    monkeypatch.setattr(location, "_registry_uri", None)
    litetrack.set_registry_uri(url)
    return url


def model_folder(root: Path, content: str) -> Path:
    """A minimal model folder (files are all a registration needs)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "MLmodel").write_text("flavors: {}\n")
    (root / "weights.bin").write_text(content)
    return root


def test_register_stage_alias_and_load_elsewhere(tmp_path: Path, registry: str) -> None:
    a = Client(str(tmp_path / "a"))
    mv = a.create_registered_model("taxi")
    assert mv.name == "taxi"
    with pytest.raises(AlreadyExists):
        a.create_registered_model("taxi")
    v1 = litetrack.register_model(str(model_folder(tmp_path / "m1", "one")), "taxi", store=a.store)
    v2 = litetrack.register_model(str(model_folder(tmp_path / "m2", "two")), "taxi", store=a.store)
    assert (v1.version, v2.version) == (1, 2)
    a.transition_model_version_stage("taxi", 1, "Production")
    a.transition_model_version_stage("taxi", 2, "Production", archive_existing_versions=True)
    a.set_registered_model_alias("taxi", "champion", 1)
    a.set_model_version_tag("taxi", 2, "checked", "yes")
    # Another machine (another store) sees the same registry.
    b = Client(str(tmp_path / "b"))
    assert [m.version for m in b.get_latest_versions("taxi", ["Production"])] == [2]
    assert b.get_model_version("taxi", 1).current_stage == "Archived"
    assert b.get_model_version_by_alias("taxi", "champion").version == 1
    # Reading a version's metadata downloads none of its files.
    assert not any(p.is_file() for p in (b.store.root / "objects").rglob("*"))
    assert b.get_model_version("taxi", 2).tags == {"checked": "yes"}
    assert [m.name for m in b.search_registered_models()] == ["taxi"]
    with pytest.raises(RegisteredModelNotFound, match="registered models: 'taxi'"):
        b.get_registered_model("nope")
    assert {v.version for v in b.search_model_versions("name = 'taxi'")} == {1, 2}
    actions = [e["action"] for e in b.get_registered_model_history("taxi")]
    assert actions[:3] == ["create_model", "create_version", "create_version"]
    # models:/ downloads the files into b's object store once, checked.
    from litetrack.registry import resolve_model_uri
    from litetrack.store.artifacts import materialize

    store, files = resolve_model_uri("models:/taxi/Production", store=b.store)
    assert (materialize(store, files) / "weights.bin").read_text() == "two"
    assert all(b.store.objects.exists(e["digest"]) for e in files.values())
    b.delete_registered_model_alias("taxi", "champion")
    a.delete_model_version("taxi", 1)
    assert [v.version for v in b.search_model_versions("name = 'taxi'")] == [2]
    with pytest.raises(InvalidState, match="renaming"):
        a.rename_registered_model("taxi", "cab")


def test_history_keeps_commit_order_within_one_millisecond(
    tmp_path: Path, registry: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fast machine makes several changes in one millisecond: the history keeps their order."""
    import time

    now_s, now_ns = time.time(), time.time_ns()
    # The clock stands still (litetrack.clock looks time.time and time_ns up at each call).
    monkeypatch.setattr(time, "time", lambda: now_s)
    monkeypatch.setattr(time, "time_ns", lambda: now_ns)
    a = Client(str(tmp_path / "a"))
    a.create_registered_model("taxi")
    for i in range(1, 6):
        folder = model_folder(tmp_path / f"m{i}", str(i))
        litetrack.register_model(str(folder), "taxi", store=a.store)
        a.set_model_version_tag("taxi", i, "k", str(i))
    got = [(e["action"], e["version"]) for e in a.get_registered_model_history("taxi")]
    assert got[0] == ("create_model", None)
    changes = ("create_version", "set_version_tag")
    assert got[1:] == [(action, i) for i in range(1, 6) for action in changes]


def test_models_uri_blob_checked_against_digest(tmp_path: Path, registry: str) -> None:
    a = Client(str(tmp_path / "a"))
    litetrack.register_model(str(model_folder(tmp_path / "m", "real")), "m", store=a.store)
    remote = open_remote(registry)
    blob = next(m.key for m in remote.list("objects/") if m.size == 4)
    remote.put(blob, b"fake")
    from litetrack.registry import resolve_model_uri

    with pytest.raises(ChecksumMismatch):
        resolve_model_uri("models:/m/1", store=Client(str(tmp_path / "b")).store)


def test_bad_registry_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(location, "_registry_uri", None)
    with pytest.raises(UnsupportedURI, match="databricks"):
        litetrack.set_registry_uri("databricks")
    assert litetrack.get_registry_uri() == litetrack.get_tracking_uri()


_REGISTER = """
import sys, litetrack
from litetrack.client import Client
store, folder = sys.argv[1], sys.argv[2]
mv = litetrack.register_model(folder, "shared", store=Client(store).store)
print(mv.version)
"""

_MOVE = """
import sys
from litetrack.client import Client
Client(sys.argv[1]).transition_model_version_stage(
    "shared", int(sys.argv[2]), "Production", archive_existing_versions=True)
"""


def _spawn(code: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_eight_processes_two_stores_one_name(
    tmp_path: Path,
    remote_spec: RemoteSpec,  # noqa: F811
) -> None:
    url = remote_spec[0]  # S3: the endpoint reaches the children through s3_env's variables
    env = {**os.environ, "LITETRACK_REGISTRY_URI": url}
    stores = [str(tmp_path / "a"), str(tmp_path / "b")]
    procs = [
        _spawn(_REGISTER, [stores[i % 2], str(model_folder(tmp_path / f"m{i}", f"w{i}"))], env)
        for i in range(8)
    ]
    versions = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        versions.append(int(out.strip()))
    assert sorted(versions) == list(range(1, 9))
    remote = open_remote(url)
    keys = sorted(m.key for m in remote.list("registry/") if "/versions/" in m.key)
    assert len(keys) == 8
    model_doc = next(m.key for m in remote.list("registry/") if m.key.endswith("model.json"))
    assert json.loads(remote.get(model_doc)[0])["latest"] == 8
    # Every version's files reached the remote before its document.
    for key in keys:
        for entry in json.loads(remote.get(key)[0])["files"].values():
            assert remote.head(f"objects/sha256/{entry['digest'][:2]}/{entry['digest'][2:]}")

    procs = [_spawn(_MOVE, [stores[v % 2], str(v)], env) for v in range(1, 9)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    stages = json.loads(remote.get(model_doc)[0])["stages"]
    assert len(stages["Production"]) == 1
    assert len(stages.get("Archived", {})) == 7


def test_local_gc_keeps_the_local_registry_pins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(location, "_registry_uri", None)
    a = Client(str(tmp_path / "a"))
    mv = litetrack.register_model(str(model_folder(tmp_path / "m", "local")), "mine", store=a.store)
    digests = litetrack.registry.referenced_digests(a.store)
    assert digests and mv.version == 1
    litetrack.set_registry_uri((tmp_path / "shared").as_uri())
    assert litetrack.registry.referenced_digests(a.store) == digests
