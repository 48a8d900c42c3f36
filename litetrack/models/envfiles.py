"""A model's environment files: write, read, check against this interpreter, restore.

* :func:`write_env_files` writes ``conda.yaml``, ``requirements.txt`` and
  ``python_env.yaml`` in the layout MLflow writes, so MLflow tooling reads
  them; :func:`read_requirements` and :func:`read_python_env` read them back.
* :func:`check_environment` compares the running interpreter with a model's
  files (``litetrack env check``); :func:`restore_environment` builds a
  virtualenv that matches ``requirements.txt`` exactly with pip-tools'
  ``pip-sync`` (the ``env`` extra).

YAML goes through :mod:`litetrack.yamlfmt` (pyyaml), so the bytes are
what MLflow's ``yaml.safe_dump`` writes.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion

from litetrack import yamlfmt
from litetrack.errors import ArtifactNotFound, CorruptDocument, InvalidArgument, InvalidState
from litetrack.models.requirements import _dist_version, parse_requirement, read_requirements
from litetrack.store.fs import atomic_write, ensure_dir

__all__ = [
    "CONDA_FILE",
    "LOCK_FILE",
    "PYTHON_ENV_FILE",
    "REQUIREMENTS_FILE",
    "Mismatch",
    "check_environment",
    "check_environment_python",
    "compile_requirements",
    "format_check",
    "read_python_env",
    "read_requirements",
    "restore_environment",
    "write_env_files",
]

_log = logging.getLogger(__name__)

CONDA_FILE = "conda.yaml"
REQUIREMENTS_FILE = "requirements.txt"
PYTHON_ENV_FILE = "python_env.yaml"
# MLflow names the conda env this; tools that read conda.yaml key nothing on
# it, and keeping MLflow's value keeps the files byte-comparable.
_CONDA_ENV_NAME = "mlflow-env"
_BUILD_PACKAGES = ("pip", "setuptools", "wheel")


# --------------------------------------------------------------------------
# Writing and reading the files
# --------------------------------------------------------------------------


def _conda_yaml(requirements: Sequence[str], python_version: str) -> str:
    # MLflow's _mlflow_conda_env, written as it writes it (sorted keys).
    deps: list[Any] = [f"python={python_version}"]
    if requirements:
        pip_version = _dist_version("pip")
        deps.append(f"pip<={pip_version}" if pip_version else "pip")
    deps.append({"pip": list(requirements)})
    env = {"name": _CONDA_ENV_NAME, "channels": ["conda-forge"], "dependencies": deps}
    return yamlfmt.dump(env)


def _python_env_yaml(python_version: str) -> str:
    # MLflow's _PythonEnv.to_yaml: keys in this order (sort_keys=False).
    build = []
    for package in _BUILD_PACKAGES:
        version = _dist_version(package)
        build.append(f"{package}=={version}" if version else package)
    env = {
        "python": python_version,
        "build_dependencies": build,
        "dependencies": [f"-r {REQUIREMENTS_FILE}"],
    }
    return yamlfmt.dump(env, sort_keys=False)


def _current_python() -> str:
    return ".".join(str(p) for p in sys.version_info[:3])


def write_env_files(
    dir: str | os.PathLike[str],
    requirements: Sequence[str],
    python_version: str | None = None,
) -> None:
    """Write ``conda.yaml``, ``requirements.txt`` and ``python_env.yaml`` into ``dir``.

    The layout is MLflow's: ``requirements.txt`` is the requirements joined
    by newlines (no trailing newline, as MLflow writes it); ``conda.yaml`` has
    the ``conda-forge`` channel, ``python=X.Y.Z``, ``pip<=<current pip>`` and
    the requirements under ``pip:``; ``python_env.yaml`` has ``python``, the
    current pip/setuptools/wheel as ``build_dependencies`` and
    ``dependencies: [-r requirements.txt]``. ``requirements`` are written as
    given (see :func:`resolve_requirements`). ``python_version`` defaults to
    the running interpreter's X.Y.Z. Creates ``dir`` if needed; each file is
    replaced atomically. Raises ``OSError`` from the filesystem.
    """
    reqs = [r.strip() for r in requirements]
    if any(not r or "\n" in r for r in reqs):
        raise InvalidArgument(
            f"requirements must be non-empty single lines, got {list(requirements)!r}"
        )
    python = python_version or _current_python()
    folder = ensure_dir(dir)
    # requirements.txt first: python_env.yaml points to it.
    atomic_write(folder / REQUIREMENTS_FILE, "\n".join(reqs).encode("utf-8"))
    atomic_write(folder / CONDA_FILE, _conda_yaml(reqs, python).encode("utf-8"))
    atomic_write(folder / PYTHON_ENV_FILE, _python_env_yaml(python).encode("utf-8"))


def read_python_env(model_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a model's ``python_env.yaml`` (or, failing that, ``conda.yaml``'s python).

    Returns ``{"python": "3.11.7", "build_dependencies": [...],
    "dependencies": [...]}`` with whatever keys the file has; ``{}`` when
    neither file exists or names no python. Raises
    :class:`~litetrack.errors.CorruptDocument` naming the file when it is not
    a YAML mapping.
    """
    folder = Path(model_dir)
    for name in (PYTHON_ENV_FILE, CONDA_FILE):
        path = folder / name
        if path.is_file():
            doc = yamlfmt.load(path.read_text(encoding="utf-8"), str(path))
            if doc is None:
                return {}
            if not isinstance(doc, dict):
                raise CorruptDocument(f"{path} is not a YAML mapping", path=str(path))
            if name == PYTHON_ENV_FILE:
                return doc
            return _conda_python(doc)
    return {}


def _conda_python(doc: dict[str, Any]) -> dict[str, Any]:
    # conda.yaml names the interpreter as one of its dependencies: python=3.11.7.
    for dep in doc.get("dependencies") or []:
        if isinstance(dep, str):
            m = re.match(r"\s*python\s*[=<>]=?\s*([0-9][0-9.]*)", dep)
            if m:
                return {"python": m.group(1)}
    return {}


# --------------------------------------------------------------------------
# Check and restore
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    """One way the running interpreter differs from what a model asks for.

    ``kind`` is ``"python"`` (major.minor differs), ``"python_patch"`` (only
    the micro version differs: usually harmless), ``"missing"`` (the package
    is not installed), ``"version"`` (installed at a version the requirement
    excludes) or ``"unchecked"`` (a line this check cannot judge: a URL, a
    path, an option). ``name`` is the package (or ``"python"``), ``required``
    the requirement line or version, ``installed`` what is there (None when
    missing).
    """

    kind: str
    name: str
    required: str
    installed: str | None = None

    @property
    def is_error(self) -> bool:
        """True for differences that can break loading the model."""
        return self.kind in ("python", "missing", "version")

    def __str__(self) -> str:
        if self.kind in ("python", "python_patch"):
            return f"python: model wants {self.required}, running {self.installed}"
        if self.kind == "missing":
            return f"{self.name}: not installed (model wants {self.required})"
        if self.kind == "version":
            return f"{self.name}: {self.installed} installed, model wants {self.required}"
        return f"{self.required}: not checked (not a plain requirement)"


def _check_requirement(line: str) -> Mismatch | None:
    req = parse_requirement(line)
    if req is None:
        return Mismatch("unchecked", line, line)
    if req.marker is not None:
        try:
            if not req.marker.evaluate():
                return None  # the requirement does not apply to this interpreter
        except Exception:  # noqa: BLE001 - a marker we cannot evaluate: check anyway
            pass
    canonical = canonicalize_name(req.name)
    installed = _dist_version(req.name)
    if installed is None and canonical == "litetrack":
        # Running from a source checkout: the code answering is the installed litetrack.
        import litetrack

        installed = getattr(litetrack, "__version__", None)
    if installed is None:
        return Mismatch("missing", canonical, line)
    if req.url or not req.specifier:
        return None  # no version asked, or a direct URL: being installed is all we can check
    try:
        ok = req.specifier.contains(installed, prereleases=True)
    except InvalidVersion:  # an installed version PEP 440 cannot read
        return Mismatch("unchecked", canonical, line, installed)
    return None if ok else Mismatch("version", canonical, line, installed)


def check_environment(model_dir: str | os.PathLike[str]) -> list[Mismatch]:
    """Compare the running interpreter with a model's environment files.

    Checks the Python version from ``python_env.yaml`` (or ``conda.yaml``)
    and every line of ``requirements.txt``: installed? in the required
    version (``==`` pins and any other PEP 440 specifier; environment markers
    that do not apply are skipped)? Returns the mismatches, empty when all
    match. Raises :class:`~litetrack.errors.ArtifactNotFound` when the model
    folder has no ``requirements.txt``.
    """
    folder = Path(model_dir)
    mismatches = check_environment_python(folder)
    for req in read_requirements(folder / REQUIREMENTS_FILE):
        found = _check_requirement(req)
        if found is not None:
            mismatches.append(found)
    return mismatches


def format_check(mismatches: Sequence[Mismatch], model: str | None = None) -> str:
    """Render :func:`check_environment`'s result for the terminal.

    One line per mismatch, errors before warnings, then a summary line;
    ``model`` (a URI or folder) is named in the summary when given.
    """
    where = f" for {model}" if model else ""
    if not mismatches:
        return f"environment matches{where}"
    ordered = sorted(mismatches, key=lambda m: (not m.is_error, m.name))
    lines = [f"{'error' if m.is_error else 'warning'}: {m}" for m in ordered]
    errors = sum(m.is_error for m in mismatches)
    lines.append(f"{errors} error(s), {len(mismatches) - errors} warning(s){where}")
    return "\n".join(lines)


def _venv_python(venv_dir: Path) -> Path:
    if os.name == "nt":
        return venv_dir / "Scripts" / "python.exe"
    return venv_dir / "bin" / "python"


#: Name of the fully resolved requirements pip-sync installs, kept in the venv
#: as a record of what the restore chose.
LOCK_FILE = "litetrack-lock.txt"


def _run_piptools(cmd: list[str], what: str, target: Path) -> str:
    import subprocess

    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    proc = subprocess.run(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        check=False,
    )
    output = proc.stdout.decode("utf-8", "replace")
    if proc.returncode != 0:
        tail = "\n".join(output.splitlines()[-40:])
        raise InvalidState(
            f"{what} failed for {target} (exit {proc.returncode}):\n{tail}",
            output=output,
            returncode=proc.returncode,
            command=cmd,
        )
    _log.debug("%s output:\n%s", what, output)
    return output


def compile_requirements(
    requirements_file: str | os.PathLike[str],
    output_file: str | os.PathLike[str],
    find_links: str | None = None,
    no_index: bool = False,
) -> None:
    """Resolve ``requirements_file`` with its dependencies into a complete pinned list.

    Runs pip-tools' ``pip-compile`` with this interpreter (markers are
    evaluated for it) and a private, empty cache; ``output_file`` gets one
    ``name==version`` line per package, no header or annotations. Raises
    :class:`~litetrack.errors.InvalidState` when pip-tools is missing or
    fails (its output is in the message and in ``output``).
    """
    import importlib.util
    import tempfile

    if importlib.util.find_spec("piptools") is None:
        raise InvalidState(
            "resolving requirements needs pip-tools, which is not installed in "
            f"{sys.executable}; install the env extra: pip install 'litetrack[env]'"
        )
    source_opts: list[str] = []
    if find_links:
        source_opts += ["--find-links", str(find_links)]
    if no_index:
        source_opts.append("--no-index")
    with tempfile.TemporaryDirectory(prefix="litetrack-piptools-") as cache_dir:
        _run_piptools(
            [
                sys.executable,
                "-m",
                "piptools",
                "compile",
                "--quiet",
                "--no-header",
                "--no-annotate",
                "--no-emit-find-links",
                "--no-emit-index-url",
                "--no-emit-trusted-host",
                "--strip-extras",
                # A private, empty cache: wheels rebuilt under an unchanged
                # version must not be resolved from stale metadata, and the
                # user's own pip-tools cache is left alone.
                "--cache-dir",
                cache_dir,
                *source_opts,
                "--output-file",
                os.fspath(output_file),
                os.fspath(requirements_file),
            ],
            "pip-compile",
            Path(requirements_file),
        )


def restore_environment(
    model_dir: str | os.PathLike[str],
    venv_dir: str | os.PathLike[str],
    find_links: str | None = None,
    no_index: bool = False,
    *,
    resolve: bool = True,
) -> None:
    """Make ``venv_dir`` a virtualenv whose packages match the model's ``requirements.txt``.

    Creates the virtualenv with the running interpreter (stdlib ``venv``,
    with pip) unless ``venv_dir`` already is one. Then, with pip-tools from
    this interpreter: ``pip-compile`` resolves ``requirements.txt`` with its
    dependencies into ``<venv_dir>/litetrack-lock.txt`` (requirements.txt
    lists only what the model imports, as MLflow's does, and pip-sync removes
    whatever its input does not list, dependencies included); ``pip-sync
    --python-executable <venv python>`` then installs what is missing,
    replaces wrong versions and removes everything else (it keeps pip,
    setuptools and wheel). Pass ``resolve=False`` when requirements.txt is
    already a complete lock, to sync it as it is. ``find_links`` (a folder of
    wheels or a URL) and ``no_index`` go to both tools, so a wheel folder is
    enough to restore offline. Running it again on the same folder re-syncs.

    Raises :class:`~litetrack.errors.InvalidState` when pip-tools is missing
    (install ``litetrack[env]``), when ``venv_dir`` is a non-empty folder that
    is not a virtualenv, or when pip-compile/pip-sync fail (the message ends
    with their output; ``output``, ``returncode`` and ``command`` are
    attributes), and :class:`~litetrack.errors.ArtifactNotFound` when the
    model has no ``requirements.txt``. A model made for another Python X.Y is
    restored with this interpreter after a warning on this module's logger.
    """
    import importlib.util

    folder = Path(model_dir)
    req_file = folder / REQUIREMENTS_FILE
    if not req_file.is_file():
        raise ArtifactNotFound(
            f"no {REQUIREMENTS_FILE} in model folder {folder}; expected a model saved by "
            "litetrack or MLflow",
            path=str(req_file),
        )
    if importlib.util.find_spec("piptools") is None:
        raise InvalidState(
            "restoring a model environment needs pip-tools, which is not installed in "
            f"{sys.executable}; install the env extra: pip install 'litetrack[env]'"
        )
    for m in check_environment_python(folder):
        if m.is_error:
            _log.warning("%s; the virtualenv will use the running Python", m)

    venv = Path(venv_dir).absolute()
    python = _venv_python(venv)
    if not (venv / "pyvenv.cfg").is_file() or not python.exists():
        import venv as venv_mod

        if venv.exists() and (not venv.is_dir() or any(venv.iterdir())):
            raise InvalidState(
                f"{venv} exists and is not a virtualenv; give an empty or new folder, "
                "or an existing virtualenv to sync"
            )
        venv_mod.EnvBuilder(with_pip=True, symlinks=os.name != "nt").create(venv)

    source_opts: list[str] = []
    if find_links:
        source_opts += ["--find-links", str(find_links)]
    if no_index:
        source_opts.append("--no-index")
    piptools = [sys.executable, "-m", "piptools"]
    to_sync = req_file
    if resolve:
        to_sync = venv / LOCK_FILE
        # The venv runs this same interpreter, so resolving here evaluates
        # environment markers as the venv would.
        compile_requirements(req_file, to_sync, find_links=find_links, no_index=no_index)
    _run_piptools(
        [*piptools, "sync", "--python-executable", str(python), *source_opts, str(to_sync)],
        "pip-sync",
        venv,
    )


def check_environment_python(model_dir: str | os.PathLike[str]) -> list[Mismatch]:
    """Only the Python-version part of :func:`check_environment` (no requirements file needed)."""
    wanted = read_python_env(model_dir).get("python")
    current = _current_python()
    if not isinstance(wanted, str) or not wanted:
        return []
    w_parts, c_parts = wanted.split("."), current.split(".")
    if w_parts[:2] != c_parts[:2]:
        return [Mismatch("python", "python", wanted, current)]
    if len(w_parts) > 2 and w_parts[:3] != c_parts[:3]:
        return [Mismatch("python_patch", "python", wanted, current)]
    return []
