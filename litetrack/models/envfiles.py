"""A model's environment files: write, read, check against this interpreter, restore.

* :func:`write_env_files` writes ``conda.yaml``, ``requirements.txt`` and
  ``python_env.yaml`` in the layout MLflow writes, so MLflow tooling reads
  them; :func:`read_requirements` and :func:`read_python_env` read them back.
* :func:`check_environment` compares the running interpreter with a model's
  files (``litetrack env check``); :func:`restore_environment` builds a
  virtualenv that matches ``requirements.txt`` exactly with pip-tools'
  ``pip-sync`` (the ``env`` extra).

YAML is written by :mod:`litetrack.models.yamlio` (no pyyaml at run time);
its scalar quoting follows pyyaml's rules, so the bytes equal what
``yaml.safe_dump`` (MLflow's writer) produces for requirement strings of
ordinary length.
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

from litetrack.errors import ArtifactNotFound, InvalidArgument, InvalidState
from litetrack.models.requirements import (
    _canonical,
    _dist_version,
    _requirement_name,
    read_requirements,
)
from litetrack.models.yamlio import scalar as _yaml_scalar
from litetrack.store.fs import atomic_write, ensure_dir

__all__ = [
    "CONDA_FILE",
    "LOCK_FILE",
    "PYTHON_ENV_FILE",
    "REQUIREMENTS_FILE",
    "Mismatch",
    "check_environment",
    "check_environment_python",
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


def _yaml_list(items: Sequence[str], indent: str = "") -> list[str]:
    return [f"{indent}- {_yaml_scalar(i)}" for i in items]


def _conda_yaml(requirements: Sequence[str], python_version: str) -> str:
    # The shape of yaml.safe_dump(env, default_flow_style=False) in MLflow's
    # _mlflow_conda_env: sorted keys, sequences not indented under their key.
    deps = [f"python={python_version}"]
    if requirements:
        pip_version = _dist_version("pip")
        deps.append(f"pip<={pip_version}" if pip_version else "pip")
    lines = ["channels:", "- conda-forge", "dependencies:", *_yaml_list(deps)]
    if requirements:
        lines.append("- pip:")
        lines.extend(_yaml_list(requirements, indent="  "))
    else:
        lines.append("- pip: []")
    lines.append(f"name: {_CONDA_ENV_NAME}")
    return "\n".join(lines) + "\n"


def _python_env_yaml(python_version: str) -> str:
    # MLflow's _PythonEnv.to_yaml: keys in this order (sort_keys=False).
    build = []
    for package in _BUILD_PACKAGES:
        version = _dist_version(package)
        build.append(f"{package}=={version}" if version else package)
    lines = [
        f"python: {_yaml_scalar(python_version)}",
        "build_dependencies:",
        *_yaml_list(build),
        "dependencies:",
        *_yaml_list([f"-r {REQUIREMENTS_FILE}"]),
    ]
    return "\n".join(lines) + "\n"


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


def _yaml_unquote(s: str) -> str:
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] == "'":
        return s[1:-1].replace("''", "'")
    if len(s) >= 2 and s[0] == s[-1] == '"':
        # The escapes _yaml_scalar writes (\\ \" \x \u \U) are Python's too.
        try:
            return s[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
        except UnicodeDecodeError:
            return s[1:-1]
    return s


def read_python_env(model_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a model's ``python_env.yaml`` (or, failing that, ``conda.yaml``'s python).

    Returns ``{"python": "3.11.7", "build_dependencies": [...],
    "dependencies": [...]}`` with whatever keys the file has; ``{}`` when
    neither file exists. Understands the block style MLflow and litetrack
    write (``key: value`` and ``- item`` lines), not YAML in general.
    """
    folder = Path(model_dir)
    out: dict[str, Any] = {}
    path = folder / PYTHON_ENV_FILE
    if path.is_file():
        key: str | None = None
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.split(" #", 1)[0].rstrip()
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            stripped = line.strip()
            if stripped.startswith("- ") and key is not None:
                out.setdefault(key, []).append(_yaml_unquote(stripped[2:]))
            elif ":" in line and not line[0].isspace():
                key, _, value = line.partition(":")
                key = key.strip()
                if value.strip() and value.strip() != "[]":
                    out[key] = _yaml_unquote(value)
                elif value.strip() == "[]":
                    out[key] = []
        return out
    conda = folder / CONDA_FILE
    if conda.is_file():
        m = re.search(
            r"^\s*-\s*['\"]?python\s*[=<>]=?\s*([0-9][0-9.]*)", conda.read_text("utf-8"), re.M
        )
        if m:
            out["python"] = m.group(1)
    return out


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


def _packaging() -> Any:
    # packaging is not a litetrack dependency; pip vendors a copy, and every
    # environment that can restore a model has pip.
    try:
        import packaging.markers
        import packaging.specifiers

        return packaging
    except ImportError:
        try:
            import pip._vendor.packaging.markers
            import pip._vendor.packaging.specifiers

            return pip._vendor.packaging
        except ImportError:
            return None


_SPLIT_REQ = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*"
    r"(?P<extras>\[[^\]]*\])?\s*(?P<spec>[^;]*?)\s*(?:;\s*(?P<marker>.*))?$"
)


def _check_requirement(req: str, pkg: Any) -> Mismatch | None:
    m = _SPLIT_REQ.match(req)
    if m is None or _requirement_name(req) is None:
        return Mismatch("unchecked", req, req)
    name, spec, marker = m.group("name"), m.group("spec"), m.group("marker")
    if marker and pkg is not None:
        try:
            if not pkg.markers.Marker(marker).evaluate():
                return None  # the requirement does not apply to this interpreter
        except Exception:  # noqa: BLE001 - a marker we cannot read: check anyway
            pass
    installed = _dist_version(name)
    canonical = _canonical(name)
    if installed is None and canonical == "litetrack":
        # Running from a source checkout: the code answering is the installed litetrack.
        import litetrack

        installed = getattr(litetrack, "__version__", None)
    if installed is None:
        return Mismatch("missing", canonical, req)
    if not spec or spec.startswith("@"):
        return None  # no version asked, or a direct URL: being installed is all we can check
    if pkg is not None:
        try:
            ok = pkg.specifiers.SpecifierSet(spec).contains(installed, prereleases=True)
        except Exception:  # noqa: BLE001 - invalid specifier or version
            return Mismatch("unchecked", canonical, req, installed)
    else:
        ok = spec.startswith("==") and spec[2:].strip() == installed
    return None if ok else Mismatch("version", canonical, req, installed)


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
    pkg = _packaging()
    for req in read_requirements(folder / REQUIREMENTS_FILE):
        found = _check_requirement(req, pkg)
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
        import tempfile

        to_sync = venv / LOCK_FILE
        # The venv runs this same interpreter, so resolving here evaluates
        # environment markers as the venv would.
        with tempfile.TemporaryDirectory(prefix="litetrack-piptools-") as cache_dir:
            _run_piptools(
                [
                    *piptools,
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
                    str(to_sync),
                    str(req_file),
                ],
                "pip-compile",
                req_file,
            )
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
