"""The Python environment a project's command runs in: ``local`` or a cached ``virtualenv``.

``local`` is the running interpreter (its folder first on ``PATH``, so
``python`` in a command means it). ``virtualenv`` builds a virtualenv with
pip-tools, reusing :mod:`litetrack.models.envfiles`: the requirements are
resolved once into a pinned list (``pip-compile``; cached by the digest of
the input), and the virtualenv is keyed by the digest of that pinned list
(and the base interpreter), so the second run of an unchanged project finds
it and installs nothing. Layout, under the user cache folder
(``platformdirs.user_cache_dir("litetrack")/projects``)::

    locks/<input digest>.txt          pinned list for one requirement set
    envs/<digest>/requirements.txt    the pinned list the venv was synced to
    envs/<digest>/venv/               the virtualenv (pip-sync'ed)
    envs/<digest>/environment.json    its captured environment; written last,
                                      so its presence means "ready"
    envs/<digest>.lock                held while building (fcntl), so two runs
                                      build one virtualenv once
    shim/<digest>/litetrack, yaml, …   links to the running litetrack package and
                                      the light packages it needs (_SHIM_PACKAGES)

A build killed midway leaves no ``environment.json``; the next run removes
the half-built folder and builds again. The command sees the running
litetrack through the shim on ``PYTHONPATH``, so the run it continues is
written by the same code that created it, whatever the project installs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name

from litetrack.errors import InvalidState
from litetrack.models.requirements import parse_requirement
from litetrack.store.fs import atomic_write, ensure_dir, locked

__all__ = ["ENV_MANAGERS", "ProjectEnv", "cache_root", "local_env", "virtualenv_env"]

_log = logging.getLogger(__name__)

ENV_MANAGERS = ("local", "virtualenv")
# Kept by pip-sync whatever the list says, and present in every new venv.
_BASE_PACKAGES = frozenset({"pip", "setuptools", "wheel"})
_READY = "environment.json"
_CAPTURE = (
    "import sys; from litetrack.environment import environment_blob; "
    "sys.stdout.buffer.write(environment_blob())"
)


@dataclass(frozen=True)
class ProjectEnv:
    """Where a command runs: the manager, the interpreter and the variables to set.

    ``environment`` is the captured environment of that interpreter
    (:func:`litetrack.environment.environment_blob` bytes), recorded on the run.
    """

    manager: str
    python: str
    environment: bytes
    venv: Path | None = None
    pinned: tuple[str, ...] = ()
    digest: str | None = None
    variables: dict[str, str] = field(default_factory=dict)

    def command_environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """``base`` (default ``os.environ``) with this environment's variables applied."""
        env = dict(os.environ) if base is None else dict(base)
        bin_dir = os.path.dirname(self.python)
        env["PATH"] = os.pathsep.join(p for p in (bin_dir, env.get("PATH", "")) if p)
        if self.venv is not None:
            env["VIRTUAL_ENV"] = str(self.venv)
            env.pop("PYTHONHOME", None)
            shim = str(litetrack_shim())
            env["PYTHONPATH"] = os.pathsep.join(p for p in (shim, env.get("PYTHONPATH", "")) if p)
        env.update(self.variables)
        return env


def cache_root() -> Path:
    """The folder of cached environments (user cache folder, ``projects`` inside)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("litetrack")) / "projects"


#: Packages the running litetrack needs at run time besides the standard library
#: (pure Python, or with a pure-Python fallback), linked beside it in the shim so
#: that a project's virtualenv need not install them.
_SHIM_PACKAGES = ("litetrack", "packaging", "yaml", "platformdirs")


def litetrack_shim() -> Path:
    """A folder linking the running ``litetrack`` package and the light packages it needs."""
    import importlib.util

    import litetrack

    sources: dict[str, Path] = {}
    for name in _SHIM_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            sources[name] = Path(next(iter(spec.submodule_search_locations))).resolve()
    sources["litetrack"] = Path(litetrack.__file__).resolve().parent
    key = "\n".join(f"{n}={p}" for n, p in sorted(sources.items()))
    folder = cache_root() / "shim" / hashlib.sha256(key.encode()).hexdigest()[:16]
    for name, package in sources.items():
        link = folder / name
        if link.exists():
            continue
        ensure_dir(folder)
        # Link under a temporary name, then rename: two runs building the
        # same shim never see a half-made entry.
        tmp = folder / f".{name}.{os.getpid()}"
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(package, tmp, target_is_directory=True)
        os.replace(tmp, link)
    return folder


def local_env() -> ProjectEnv:
    """The running interpreter as the command's environment."""
    from litetrack.environment import environment_blob

    return ProjectEnv(manager="local", python=sys.executable, environment=environment_blob())


def _xy(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


def _base_python(version: str | None) -> str:
    current = ".".join(str(p) for p in sys.version_info[:3])
    if not version or _xy(version) == _xy(current):
        if version and version != current and version.count(".") >= 2:
            _log.info("python %s asked for, %s used (same X.Y)", version, current)
        return sys.executable
    name = "python" + ".".join(_xy(version))
    found = shutil.which(name)
    if found is not None:
        # A pyenv shim for an uninstalled version is on PATH yet does not run.
        check = subprocess.run(
            [found, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            check=False,
        )
        if check.returncode != 0 or tuple(check.stdout.decode().strip().split(".")) != _xy(version):
            found = None
    if found is None:
        raise InvalidState(
            f"the environment asks for Python {version}, which is not available here: this is "
            f"Python {current} and there is no {name} on PATH. Install Python "
            f"{'.'.join(_xy(version))}, or run with --env-manager local",
            python=version,
        )
    return found


def _name(requirement: str) -> str:
    """The canonical distribution name of a requirement line ('' for options, paths, URLs)."""
    parsed = parse_requirement(requirement)
    return canonicalize_name(parsed.name) if parsed is not None else ""


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _pin(
    requirements: Sequence[str], base: str, find_links: str | None, no_index: bool
) -> list[str]:
    """The pinned list for ``requirements`` (pip-compile once per distinct input)."""
    import tempfile

    from litetrack.models.envfiles import compile_requirements, read_requirements

    key = json.dumps(
        {
            "base": base,
            "requirements": list(requirements),
            "find_links": find_links,
            "no_index": no_index,
        },
        sort_keys=True,
    )
    path = cache_root() / "locks" / f"{_digest(key)}.txt"
    if not path.is_file():
        with tempfile.TemporaryDirectory(prefix="litetrack-pin-") as tmp:
            src, out = Path(tmp) / "requirements.in", Path(tmp) / "requirements.txt"
            src.write_text("\n".join(requirements) + "\n", encoding="utf-8")
            compile_requirements(src, out, find_links=find_links, no_index=no_index)
            ensure_dir(path.parent)
            atomic_write(path, out.read_bytes())
    return read_requirements(path)


def _capture(python: Path, env: Mapping[str, str]) -> bytes:
    proc = subprocess.run(
        [str(python), "-c", _CAPTURE], env=dict(env), capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise InvalidState(
            f"the virtualenv's Python {python} failed to start: "
            f"{proc.stderr.decode('utf-8', 'replace')[-2000:]}"
        )
    return proc.stdout


def _no_match(output: str) -> list[str]:
    import re

    return sorted(set(re.findall(r"No matching distribution found for (\S+)", output)))


def virtualenv_env(
    requirements: Sequence[str],
    python_version: str | None = None,
    *,
    resolve: bool = True,
    find_links: str | None = None,
    no_index: bool = False,
) -> ProjectEnv:
    """A cached virtualenv with exactly ``requirements`` (plus their dependencies).

    ``resolve=True`` pins them with pip-compile first; ``resolve=False`` takes
    them as a complete pinned list (a run's captured packages). pip, setuptools
    and wheel lines are left to the virtualenv's own. ``find_links`` and
    ``no_index`` go to pip-tools (a wheel folder is enough to build offline).
    Raises :class:`InvalidState` when the Python version is not available,
    pip-tools is missing, or a package cannot be installed (the message names
    the packages pip could not find, ``missing`` lists them).
    """
    reqs = [r.strip() for r in requirements if r.strip() and _name(r) not in _BASE_PACKAGES]
    base = _base_python(python_version)
    try:
        pinned = _pin(reqs, base, find_links, no_index) if resolve and reqs else sorted(reqs)
    except InvalidState as exc:
        raise _named(exc, "cannot resolve the requirements", find_links, "") from exc
    pinned = [r for r in pinned if _name(r) not in _BASE_PACKAGES]
    digest = _digest(f"base {os.path.realpath(base)}", *pinned)
    folder = cache_root() / "envs" / digest
    venv = folder / "venv"
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    ready = folder / _READY
    env = ProjectEnv(
        manager="virtualenv",
        python=str(python),
        environment=b"",
        venv=venv,
        pinned=tuple(pinned),
        digest=digest,
    )
    if not ready.is_file():
        ensure_dir(folder.parent)
        with locked(folder.parent / f"{digest}.lock"):
            if not ready.is_file():
                _build(folder, venv, base, pinned, find_links, no_index)
                atomic_write(ready, _capture(python, env.command_environment()))
    return ProjectEnv(
        manager="virtualenv",
        python=str(python),
        environment=ready.read_bytes(),
        venv=venv,
        pinned=tuple(pinned),
        digest=digest,
    )


def _build(
    folder: Path,
    venv: Path,
    base: str,
    pinned: list[str],
    find_links: str | None,
    no_index: bool,
) -> None:
    import venv as venv_mod

    from litetrack.models.envfiles import restore_environment

    if folder.exists():
        # A build that was killed midway (no ready marker): start over.
        shutil.rmtree(folder)
    ensure_dir(folder)
    _log.warning("building virtualenv %s (%d packages)", venv, len(pinned))
    if base != sys.executable:
        # Another Python X.Y: its own venv module makes the venv, pip-sync fills it.
        subprocess.run([base, "-m", "venv", str(venv)], check=True, capture_output=True)
    elif not pinned:
        venv_mod.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(venv)
    if not pinned:
        return
    atomic_write(folder / "requirements.txt", "\n".join(pinned).encode("utf-8"))
    try:
        restore_environment(folder, venv, find_links=find_links, no_index=no_index, resolve=False)
    except InvalidState as exc:
        where = f"; pinned list: {folder / 'requirements.txt'}"
        raise _named(exc, "cannot build the environment", find_links, where) from exc


def _named(exc: InvalidState, what: str, find_links: str | None, where: str) -> InvalidState:
    """``exc`` reworded to name the packages pip could not find (``missing``), when it says."""
    missing = _no_match(getattr(exc, "output", "") or "")
    if not missing:
        return exc
    return InvalidState(
        f"{what}: pip found no installable distribution for "
        + ", ".join(missing)
        + (f" (looked in {find_links})" if find_links else "")
        + where,
        missing=missing,
        output=getattr(exc, "output", ""),
    )
