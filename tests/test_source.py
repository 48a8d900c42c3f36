"""Source capture: entry point, script content, git state, caching, switch-off.

Most tests run a small script in a subprocess, since what is captured depends
on ``__main__`` and the script's folder, not on pytest's.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import litetrack
from litetrack import settings
from litetrack import source as S
from litetrack.source import (
    INTERACTIVE,
    SourceInfo,
    capture_source,
    mlflow_source_tags,
)

REPO_ROOT = str(Path(litetrack.__file__).resolve().parent.parent)

# Prints the capture as JSON (bytes as base64).
PROBE = textwrap.dedent(
    """
    import base64, dataclasses, json, sys
    from litetrack.source import capture_source
    info = capture_source()
    again = capture_source()
    doc = dataclasses.asdict(info)
    for key in ("content", "git_diff"):
        if doc[key] is not None:
            doc[key] = base64.b64encode(doc[key]).decode()
    doc["cached"] = again is info
    print(json.dumps(doc))
    """
)


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GIT_", "LITETRACK_", "JPY_", "PYTHON"))
    }
    env.update(
        PYTHONPATH=REPO_ROOT,
        HOME=str(tmp_path / "home"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        # Never find a repository above the test's folder (tmp may sit in one).
        GIT_CEILING_DIRECTORIES=str(tmp_path),
    )
    env.update(extra)
    return env


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        env=clean_env(repo.parent),
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def run_probe(
    script: Path, tmp_path: Path, args: list[str] | None = None, cwd: Path | None = None, **env: str
) -> dict[str, Any]:
    cmd = [sys.executable, *(args if args is not None else [str(script)])]
    out = subprocess.run(
        cmd,
        cwd=cwd or script.parent,
        env=clean_env(tmp_path, **env),
        capture_output=True,
        text=True,
        check=True,
    )
    doc = json.loads(out.stdout)
    for key in ("content", "git_diff"):
        if doc[key] is not None:
            doc[key] = base64.b64decode(doc[key])
    return doc


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "train.py").write_text(PROBE)
    (root / "params.txt").write_text("alpha=1\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    git(root, "remote", "add", "origin", "https://ci-bot:s3cret@git.example.com/team/proj.git")
    return root


def test_clean_repo(repo: Path, tmp_path: Path) -> None:
    script = repo / "src" / "train.py"
    doc = run_probe(script, tmp_path)
    assert doc["entry_point"] == str(script)
    assert doc["source_type"] == "LOCAL"
    assert doc["content"] == script.read_bytes()
    assert doc["git_root"] == str(repo)
    assert doc["git_commit"] == git(repo, "rev-parse", "HEAD")
    assert doc["git_branch"] == "main"
    # credentials never reach the tags
    assert doc["git_repo_url"] == "https://git.example.com/team/proj.git"
    assert doc["git_dirty"] is False
    assert doc["git_diff"] is None
    assert doc["cached"] is True


def test_dirty_repo_diff_has_staged_and_unstaged(repo: Path, tmp_path: Path) -> None:
    (repo / "params.txt").write_text("alpha=2\n")  # unstaged
    (repo / "new.py").write_text("print('staged')\n")
    git(repo, "add", "new.py")  # staged
    doc = run_probe(repo / "src" / "train.py", tmp_path)
    assert doc["git_dirty"] is True
    diff = doc["git_diff"]
    assert b"-alpha=1" in diff and b"+alpha=2" in diff
    assert b"+print('staged')" in diff
    # the diff re-applies to a clean checkout of the commit it was taken against
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    apply = subprocess.run(["git", "apply", "-"], cwd=clone, input=diff, env=clean_env(tmp_path))
    assert apply.returncode == 0
    assert (clone / "params.txt").read_text() == "alpha=2\n"
    assert (clone / "new.py").read_text() == "print('staged')\n"


def test_untracked_files_do_not_make_it_dirty(repo: Path, tmp_path: Path) -> None:
    (repo / "scratch.txt").write_text("notes")
    doc = run_probe(repo / "src" / "train.py", tmp_path)
    assert doc["git_dirty"] is False and doc["git_diff"] is None


def test_detached_head_and_no_origin(repo: Path, tmp_path: Path) -> None:
    git(repo, "remote", "remove", "origin")
    git(repo, "checkout", "-q", "--detach")
    doc = run_probe(repo / "src" / "train.py", tmp_path)
    assert doc["git_commit"] == git(repo, "rev-parse", "HEAD")
    assert doc["git_branch"] is None
    assert doc["git_repo_url"] is None


def test_repo_without_commits(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    git(root, "init", "-q", "-b", "dev")
    (root / "train.py").write_text(PROBE)
    doc = run_probe(root / "train.py", tmp_path)
    assert doc["git_root"] == str(root)
    assert doc["git_commit"] is None and doc["git_dirty"] is None
    assert doc["git_branch"] == "dev"


def test_outside_git(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "train.py").write_text(PROBE)
    doc = run_probe(folder / "train.py", tmp_path)
    assert doc["entry_point"] == str(folder / "train.py")
    assert doc["content"] == PROBE.encode()
    assert all(doc[k] is None for k in doc if k.startswith("git_"))


def test_no_git_binary(repo: Path, tmp_path: Path) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    doc = run_probe(repo / "src" / "train.py", tmp_path, PATH=str(empty_bin))
    assert doc["content"] is not None
    assert all(doc[k] is None for k in doc if k.startswith("git_"))


def test_python_c_is_interactive_and_uses_cwd_repo(repo: Path, tmp_path: Path) -> None:
    doc = run_probe(repo / "x", tmp_path, args=["-c", PROBE], cwd=repo)
    assert doc["entry_point"] == INTERACTIVE
    assert doc["content"] is None
    assert doc["git_commit"] == git(repo, "rev-parse", "HEAD")


def test_python_m_module(repo: Path, tmp_path: Path) -> None:
    doc = run_probe(repo / "src" / "train.py", tmp_path, args=["-m", "train"], cwd=repo / "src")
    assert doc["entry_point"] == str(repo / "src" / "train.py")


def test_switched_off(repo: Path, tmp_path: Path) -> None:
    doc = run_probe(repo / "src" / "train.py", tmp_path, LITETRACK_CAPTURE_SOURCE="0")
    assert doc["entry_point"] == str(repo / "src" / "train.py")
    assert doc["content"] is None
    assert all(doc[k] is None for k in doc if k.startswith("git_"))


NOTEBOOK_PROBE = textwrap.dedent(
    """
    import json, os, sys, types
    sys.modules["ipykernel"] = types.ModuleType("ipykernel")  # as inside a kernel
    from litetrack.source import capture_source
    nb = sys.argv[1]
    if len(sys.argv) > 2:
        sys.modules["__main__"].__vsc_ipynb_file__ = sys.argv[2]
    first = capture_source()
    again = capture_source()
    with open(nb, "w") as f:
        f.write('{"cells": ["edited"]}')
    os.utime(nb, ns=(1, 1))  # a different mtime, whatever the clock's resolution
    edited = capture_source()
    print(json.dumps({
        "entry": first.entry_point, "type": first.source_type,
        "content": first.content.decode(), "cached": again is first,
        "edited": edited.content.decode(), "commit": first.git_commit,
    }))
    """
)


def test_notebook_under_jupyter(repo: Path, tmp_path: Path) -> None:
    nb = repo / "explore.ipynb"
    nb.write_text('{"cells": []}')
    os.utime(nb, (1_000_000, 1_000_000))  # saved a while ago: its capture is cached
    git(repo, "add", nb.name)
    git(repo, "commit", "-q", "-m", "nb")
    probe = tmp_path / "nbprobe.py"
    probe.write_text(NOTEBOOK_PROBE)
    out = subprocess.run(
        [sys.executable, str(probe), str(nb)],
        cwd=repo,
        env=clean_env(tmp_path, JPY_SESSION_NAME="explore.ipynb"),
        capture_output=True,
        text=True,
        check=True,
    )
    doc = json.loads(out.stdout)
    assert doc["entry"] == str(nb)
    assert doc["type"] == "NOTEBOOK"
    assert doc["content"] == '{"cells": []}'
    assert doc["cached"] is True
    assert doc["edited"] == '{"cells": ["edited"]}'  # re-captured after the save
    assert doc["commit"] == git(repo, "rev-parse", "HEAD")


def test_notebook_under_vscode(repo: Path, tmp_path: Path) -> None:
    nb = repo / "vsc.ipynb"
    nb.write_text('{"cells": []}')
    probe = tmp_path / "nbprobe.py"
    probe.write_text(NOTEBOOK_PROBE)
    out = subprocess.run(
        [sys.executable, str(probe), str(nb), str(nb)],
        cwd=tmp_path,
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    )
    doc = json.loads(out.stdout)
    assert doc["entry"] == str(nb) and doc["type"] == "NOTEBOOK"


def test_a_notebook_saved_again_within_one_clock_tick_is_captured_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two saves in one mtime tick, the same size and the same inode leave the
    # stat key equal: a capture keyed on a key that young must not be cached.
    nb = tmp_path / "nb.ipynb"
    nb.write_text('{"cells": ["a"]}')
    tick = os.stat(nb).st_mtime_ns
    monkeypatch.setattr(S, "_entry_point", lambda: (str(nb), S.SOURCE_TYPE_NOTEBOOK))
    monkeypatch.setattr(S, "_git_info", lambda start: {})
    from litetrack.store import fs

    # "Young" is an hour here, not 2 s: a loaded machine may take seconds between
    # the write above and the captures below, and the file must still be young.
    monkeypatch.setattr(fs, "SETTLED_NS", 3600 * 10**9)
    S.clear_cache()
    try:
        assert capture_source().content == b'{"cells": ["a"]}'
        with open(nb, "r+") as f:  # saved in place: same inode, same size
            f.write('{"cells": ["b"]}')
        os.utime(nb, ns=(tick, tick))  # ... in the same clock tick
        assert capture_source().content == b'{"cells": ["b"]}'
        # Once the mtime is older than that, the capture is cached again.
        os.utime(nb, ns=(tick - 7200 * 10**9, tick - 7200 * 10**9))
        first = capture_source()
        assert capture_source() is first
    finally:
        S.clear_cache()


def test_cached_in_process_runs_git_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, ...]] = []
    real = S._git

    def counting(cwd: str, *args: str) -> bytes | None:
        calls.append(args)
        return real(cwd, *args)

    monkeypatch.setattr(S, "_git", counting)
    S.clear_cache()
    first = capture_source()
    n = len(calls)
    for _ in range(100):
        assert capture_source() is first
    assert len(calls) == n
    capture_source(refresh=True)
    assert len(calls) == 2 * n


def test_never_raises_when_git_breaks(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*a: Any, **k: Any) -> Any:
        raise RuntimeError("git exploded")

    monkeypatch.setattr(S, "_git_info", boom)
    info = capture_source(refresh=True)
    assert info.git_commit is None and info.entry_point
    S.clear_cache()


def test_mlflow_source_tags() -> None:
    info = SourceInfo(
        entry_point="/home/u/train.py",
        source_type="LOCAL",
        git_commit="abc123",
        git_branch="main",
        git_repo_url="git@example.com:team/proj.git",
    )
    assert mlflow_source_tags(info, user="ana") == {
        "mlflow.source.name": "/home/u/train.py",
        "mlflow.source.type": "LOCAL",
        "mlflow.source.git.commit": "abc123",
        "mlflow.source.git.branch": "main",
        "mlflow.source.git.repoURL": "git@example.com:team/proj.git",
        "mlflow.user": "ana",
    }
    bare = mlflow_source_tags(SourceInfo(INTERACTIVE, "LOCAL"), user="ana")
    assert bare == {
        "mlflow.source.name": INTERACTIVE,
        "mlflow.source.type": "LOCAL",
        "mlflow.user": "ana",
    }
    assert all(isinstance(v, str) for v in mlflow_source_tags(capture_source()).values())


@pytest.mark.parametrize(
    "url, shown",
    [
        ("https://user:tok@host/r.git", "https://host/r.git"),
        ("https://ghp_token@host/r.git", "https://host/r.git"),
        ("HTTP://u:p@host:8080/r", "HTTP://host:8080/r"),
        ("ssh://git@host/r.git", "ssh://git@host/r.git"),
        ("git@host:team/r.git", "git@host:team/r.git"),
        ("/srv/git/r.git", "/srv/git/r.git"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert S._redact_url(url) == shown


def test_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LITETRACK_CAPTURE_SOURCE", raising=False)
    assert settings.capture_source_enabled()
    monkeypatch.setenv("LITETRACK_CAPTURE_SOURCE", "0")
    assert not settings.capture_source_enabled()
    info = capture_source()
    assert info.content is None and info.git_commit is None
