"""The source of a run: entry point, script content and git state.

:func:`capture_source` finds what is running (a script, a ``python -m``
module, a Jupyter/VS Code notebook, or an interactive session), reads its
content, and, inside a git work tree, the commit, branch, origin URL, whether
the tree is dirty and the uncommitted diff. :func:`mlflow_source_tags` turns
that into MLflow's ``mlflow.source.*`` system tags.

Git is asked through ``git`` subprocesses, once per process and entry point:
later calls return the cached :class:`SourceInfo` in microseconds, so
``start_run`` stays cheap in a sweep. A notebook is re-captured when its file
changes on disk (it is edited between runs of one kernel); a script is not
(what runs is what was there at the first capture). No git, not a work tree,
or git failing leave the git fields ``None``; capture never raises.

Switch-off: with ``LITETRACK_CAPTURE_SOURCE=0`` (see :mod:`litetrack.settings`)
:func:`capture_source` returns only the entry point and source type (no file
read, no git).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from litetrack import settings
from litetrack.store.fs import mtime_settled, stat_key

__all__ = [
    "SourceInfo",
    "SOURCE_TYPE_LOCAL",
    "SOURCE_TYPE_NOTEBOOK",
    "INTERACTIVE",
    "capture_source",
    "clear_cache",
    "git_state",
    "redact_url",
    "mlflow_source_tags",
]

_log = logging.getLogger(__name__)

SOURCE_TYPE_LOCAL = "LOCAL"
SOURCE_TYPE_NOTEBOOK = "NOTEBOOK"
#: Entry point recorded when nothing names the running code (REPL, ``python -c``).
INTERACTIVE = "<interactive>"

# MLflow's system tag names (mlflow/utils/mlflow_tags.py).
TAG_SOURCE_NAME = "mlflow.source.name"
TAG_SOURCE_TYPE = "mlflow.source.type"
TAG_GIT_COMMIT = "mlflow.source.git.commit"
TAG_GIT_BRANCH = "mlflow.source.git.branch"
TAG_GIT_REPO_URL = "mlflow.source.git.repoURL"
TAG_USER = "mlflow.user"

# A hung git (network filesystem, credential prompt) must not hang start_run.
_GIT_TIMEOUT = 10.0


@dataclass(frozen=True)
class SourceInfo:
    """What a run was started from.

    ``entry_point`` is an absolute script/notebook path or ``"<interactive>"``;
    ``source_type`` is ``"LOCAL"`` or ``"NOTEBOOK"``; ``content`` the file's
    bytes (None if unreadable or capture is off). The ``git_*`` fields are None
    outside a work tree: ``git_root`` the top folder, ``git_commit`` the HEAD
    sha (None before the first commit), ``git_branch`` the branch (None when
    detached), ``git_repo_url`` origin's URL with any credentials removed,
    ``git_dirty`` whether tracked files differ from HEAD (untracked files do
    not count), ``git_diff`` the output of ``git diff --binary HEAD`` (staged
    and unstaged changes; None when clean).
    """

    entry_point: str
    source_type: str
    content: bytes | None = None
    git_root: str | None = None
    git_commit: str | None = None
    git_branch: str | None = None
    git_repo_url: str | None = None
    git_dirty: bool | None = None
    git_diff: bytes | None = None


_lock = threading.Lock()
_cache: dict[tuple[str, tuple[int, int, int] | None, bool], SourceInfo] = {}


def clear_cache() -> None:
    """Forget every cached capture (the next call runs git again)."""
    with _lock:
        _cache.clear()


def _notebook_path() -> str | None:
    """Best-effort path of the running notebook, None when not in a notebook."""
    if "ipykernel" not in sys.modules:
        return None
    main = sys.modules.get("__main__")
    # VS Code's Jupyter extension defines this in the notebook's namespace.
    vsc = getattr(main, "__vsc_ipynb_file__", None)
    if isinstance(vsc, str) and vsc:
        return vsc
    # Jupyter Server >= 2 exports the notebook path (relative to the server
    # root, which is usually the kernel's cwd).
    session = settings.jupyter_session_name()
    if session:
        return session
    return "<notebook>"


def _entry_point() -> tuple[str, str]:
    notebook = _notebook_path()
    if notebook is not None:
        if notebook.startswith("<"):
            return notebook, SOURCE_TYPE_NOTEBOOK
        return os.path.abspath(notebook), SOURCE_TYPE_NOTEBOOK
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path:
        argv0 = sys.argv[0] if sys.argv else ""
        # "" is the REPL, "-c" is `python -c`: neither names a file.
        path = argv0 if argv0 and argv0 != "-c" and os.path.isfile(argv0) else None
    if not path:
        return INTERACTIVE, SOURCE_TYPE_LOCAL
    return os.path.abspath(path), SOURCE_TYPE_LOCAL


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _version(path: str) -> tuple[tuple[int, int, int] | None, bool]:
    """(the file's stat key or None, whether a capture keyed on it may be cached).

    A save later in the same clock tick as the one read would leave the key
    equal if the size did not change either: a key whose mtime is younger
    than a tick is not cached, so the next run captures the file again.
    """
    read_at = time.time_ns()
    try:
        st = os.stat(path)
    except OSError:
        return None, True
    return stat_key(st), mtime_settled(st.st_mtime_ns, read_at)


def _git(cwd: str, *args: str) -> bytes | None:
    """Run git in ``cwd``; stdout on success, None on any failure."""
    env = dict(os.environ)
    # GIT_OPTIONAL_LOCKS=0: `git diff`/`status` would otherwise refresh the
    # index and take index.lock, racing the user's own `git commit`.
    env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout


_USERINFO = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^@/]*@)")


def _redact_url(url: str) -> str:
    # https://user:token@host/repo is a common way to push from CI; the token
    # must not end up in a run's tags. ssh URLs carry a login name (git@),
    # not a secret, and stay as they are.
    m = _USERINFO.match(url)
    if m and m.group("scheme").lower() in ("http://", "https://", "ftp://", "ftps://"):
        return m.group("scheme") + url[m.end() :]
    return url


def _git_info(start: str) -> dict[str, Any]:
    none: dict[str, Any] = {}
    top = _git(start, "rev-parse", "--show-toplevel")
    if top is None:
        return none
    root = top.decode("utf-8", "surrogateescape").strip()
    if not root:
        return none
    info: dict[str, Any] = {"git_root": root}
    commit = _git(root, "rev-parse", "--verify", "-q", "HEAD")
    if commit is not None:
        info["git_commit"] = commit.decode("ascii", "replace").strip() or None
    branch = _git(root, "symbolic-ref", "-q", "--short", "HEAD")
    if branch is not None:
        info["git_branch"] = branch.decode("utf-8", "replace").strip() or None
    url = _git(root, "config", "--get", "remote.origin.url")
    if url is not None:
        text = url.decode("utf-8", "replace").strip()
        info["git_repo_url"] = _redact_url(text) if text else None
    if info.get("git_commit"):
        # --binary: the stored diff can be re-applied with `git apply`;
        # --no-ext-diff/--no-color: the user's config must not change bytes.
        diff = _git(root, "diff", "--binary", "--no-color", "--no-ext-diff", "HEAD", "--")
        if diff is not None:
            info["git_dirty"] = bool(diff)
            info["git_diff"] = diff or None
    return info


def redact_url(url: str) -> str:
    """``url`` without the credentials of an http(s)/ftp(s) URL (``user:token@``)."""
    return _redact_url(url)


def git_state(path: str) -> dict[str, Any]:
    """The git state of the work tree holding ``path``, as :class:`SourceInfo`'s ``git_*`` fields.

    ``{}`` outside a work tree or without git; never raises.
    """
    try:
        return _git_info(path) if os.path.isdir(path) else {}
    except Exception:  # noqa: BLE001 - best effort, as every capture here
        return {}


def _capture(entry: str, source_type: str, enabled: bool) -> SourceInfo:
    if not enabled:
        return SourceInfo(entry_point=entry, source_type=source_type)
    is_file = not entry.startswith("<")
    content = _read(entry) if is_file else None
    start = os.path.dirname(entry) if is_file else os.getcwd()
    git = _git_info(start) if os.path.isdir(start) else {}
    return SourceInfo(entry_point=entry, source_type=source_type, content=content, **git)


def capture_source(refresh: bool = False) -> SourceInfo:
    """Describe the code this process is running (see :class:`SourceInfo`).

    Cached per process and entry point; a notebook is captured again when its
    file changes. ``refresh=True`` forces a new capture. When
    :func:`litetrack.settings.capture_source_enabled` is False only ``entry_point`` and
    ``source_type`` are filled. Never raises: missing git, a folder outside
    any repository or a failing git command leave the git fields None.
    """
    enabled = settings.capture_source_enabled()
    try:
        entry, source_type = _entry_point()
    except Exception:  # noqa: BLE001 - odd __main__ objects must not fail a run
        entry, source_type = INTERACTIVE, SOURCE_TYPE_LOCAL
    stamp, settled = _version(entry) if source_type == SOURCE_TYPE_NOTEBOOK else (None, True)
    key = (entry if not entry.startswith("<") else f"{entry}@{os.getcwd()}", stamp, enabled)
    with _lock:
        if not refresh and key in _cache:
            return _cache[key]
    try:
        info = _capture(entry, source_type, enabled)
    except Exception:  # noqa: BLE001 - source capture is best effort by contract
        _log.debug("source capture failed for %s", entry, exc_info=True)
        info = SourceInfo(entry_point=entry, source_type=source_type)
    if settled:
        with _lock:
            _cache[key] = info
    return info


def _default_user() -> str | None:
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return None


def mlflow_source_tags(info: SourceInfo, user: str | None = None) -> dict[str, str]:
    """Return MLflow's system tags for ``info``.

    Keys: ``mlflow.source.name``, ``mlflow.source.type``,
    ``mlflow.source.git.commit``, ``mlflow.source.git.branch``,
    ``mlflow.source.git.repoURL`` and ``mlflow.user`` (``user`` or the login
    name). Tags whose value is unknown are left out rather than set to "".
    """
    tags: dict[str, str] = {
        TAG_SOURCE_NAME: info.entry_point,
        TAG_SOURCE_TYPE: info.source_type,
    }
    for key, value in (
        (TAG_GIT_COMMIT, info.git_commit),
        (TAG_GIT_BRANCH, info.git_branch),
        (TAG_GIT_REPO_URL, info.git_repo_url),
        (TAG_USER, user if user is not None else _default_user()),
    ):
        if value:
            tags[key] = value
    return tags
