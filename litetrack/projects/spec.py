"""Reading a project: its ``MLproject`` file (MLflow's format) or, without one, its scripts.

An ``MLproject`` file names the project, its environment and its entry
points::

    name: taxi
    python_env: python_env.yaml
    entry_points:
      main:
        parameters:
          max_depth: {type: int, default: 6}
          data: path
        command: "python train.py --max-depth {max_depth} --data {data}"

A folder without ``MLproject`` runs a ``.py`` or ``.sh`` file named as the
entry point, as MLflow does. ``conda_env`` and ``docker_env`` are refused
with a message saying what is supported; ``conda_env``'s pip section is used
when the virtualenv manager is asked for explicitly (with a warning).
"""

from __future__ import annotations

import logging
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litetrack import settings, yamlfmt
from litetrack.errors import CorruptDocument, InvalidArgument, NotFound

__all__ = [
    "MLPROJECT_FILE",
    "PARAMETER_TYPES",
    "EntryPoint",
    "Parameter",
    "Project",
    "PythonEnv",
    "load_project",
    "read_python_env_file",
]

_log = logging.getLogger(__name__)

MLPROJECT_FILE = "MLproject"
PYTHON_ENV_FILE = "python_env.yaml"
#: Parameter types of MLflow's format, plus ``int``.
PARAMETER_TYPES = ("string", "float", "int", "path", "uri")
SCRIPT_SUFFIXES = (".py", ".sh")


@dataclass(frozen=True)
class Parameter:
    """One declared parameter: its name, type (one of :data:`PARAMETER_TYPES`) and default."""

    name: str
    type: str = "string"
    default: Any = None

    @property
    def required(self) -> bool:
        """True when the parameter has no default: the caller must give it."""
        return self.default is None


@dataclass(frozen=True)
class EntryPoint:
    """An entry point: a name, its parameters and its command template."""

    name: str
    command: str
    parameters: dict[str, Parameter] = field(default_factory=dict)


@dataclass(frozen=True)
class PythonEnv:
    """A python environment to build: Python version and requirement lines."""

    python: str | None = None
    build_dependencies: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Project:
    """A project folder as read: name, entry points and environment.

    ``env_kind`` is ``"python_env"``, ``"conda_env"`` or ``None``; ``env``
    the :class:`PythonEnv` to build (for ``conda_env``, its pip section).
    """

    folder: Path
    name: str | None
    entry_points: dict[str, EntryPoint]
    env_kind: str | None = None
    env: PythonEnv | None = None

    def entry_point(self, name: str) -> EntryPoint:
        """The entry point ``name``, or a script of that name in the folder.

        Raises :class:`NotFound` naming the entry points there are.
        """
        if name in self.entry_points:
            return self.entry_points[name]
        script = self.folder / name
        suffix = os.path.splitext(name)[1]
        if suffix in SCRIPT_SUFFIXES and script.is_file() and _inside(self.folder, script):
            if suffix == ".py":
                command = f"python {shlex.quote(name)}"
            else:
                command = f"{settings.user_shell()} {shlex.quote(name)}"
            return EntryPoint(name=name, command=command)
        known = sorted(self.entry_points)
        scripts = sorted(
            p.name for p in self.folder.iterdir() if p.suffix in SCRIPT_SUFFIXES and p.is_file()
        )
        raise NotFound(
            f"Could not find entry point {name!r} in project {self.folder}: entry points are "
            f"{known or 'none (no MLproject file)'}, scripts that can be run by name are "
            f"{scripts or 'none'} (a .py or .sh file)"
        )


def _inside(folder: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def _load_yaml(path: Path) -> Any:
    try:
        return yamlfmt.load(path.read_text(encoding="utf-8"), str(path))
    except CorruptDocument as exc:
        raise InvalidArgument(str(exc)) from None


def _parameter(entry: str, name: Any, spec: Any, path: Path) -> Parameter:
    where = f"parameter {name!r} of entry point {entry!r} in {path}"
    if not isinstance(name, str) or not name:
        raise InvalidArgument(f"{where}: parameter names must be non-empty strings")
    if isinstance(spec, str):
        ptype, default = spec, None
    elif isinstance(spec, dict):
        unknown = set(spec) - {"type", "default"}
        if unknown:
            raise InvalidArgument(
                f"{where}: unknown keys {sorted(unknown)}; allowed: type, default"
            )
        ptype, default = spec.get("type", "string"), spec.get("default")
    elif spec is None:
        ptype, default = "string", None
    else:
        raise InvalidArgument(f"{where}: expected a type name or {{type, default}}, got {spec!r}")
    if ptype not in PARAMETER_TYPES:
        raise InvalidArgument(
            f"{where}: unknown type {ptype!r}; allowed: {', '.join(PARAMETER_TYPES)}"
        )
    return Parameter(name=name, type=ptype, default=default)


def read_python_env_file(path: Path) -> PythonEnv:
    """Read a ``python_env.yaml``; ``-r file`` lines are read from files next to it."""
    from litetrack.models.envfiles import read_requirements

    if not path.is_file():
        raise NotFound(
            f"the project names {path.name} as its python_env, but {path} does not exist"
        )
    doc = _load_yaml(path) or {}
    if not isinstance(doc, dict):
        raise InvalidArgument(
            f"{path} must be a mapping with python, build_dependencies, dependencies"
        )
    python = doc.get("python")
    deps: list[str] = []
    for line in doc.get("dependencies") or []:
        line = str(line).strip()
        if line.startswith(("-r ", "--requirement ")):
            deps.extend(read_requirements(path.parent / line.split(None, 1)[1].strip()))
        elif line:
            deps.append(line)
    build = tuple(str(b).strip() for b in doc.get("build_dependencies") or [] if str(b).strip())
    return PythonEnv(
        python=str(python) if python is not None else None,
        build_dependencies=build,
        dependencies=tuple(deps),
    )


def _conda_pip_section(path: Path) -> PythonEnv:
    doc = _load_yaml(path) or {}
    python = None
    pip: list[str] = []
    for dep in doc.get("dependencies") or [] if isinstance(doc, dict) else []:
        if isinstance(dep, dict) and isinstance(dep.get("pip"), list):
            pip.extend(str(p) for p in dep["pip"])
        elif isinstance(dep, str) and dep.replace(" ", "").startswith("python="):
            python = dep.split("=", 1)[1].strip()
    return PythonEnv(python=python, dependencies=tuple(pip))


def load_project(folder: str | os.PathLike[str]) -> Project:
    """Read the project in ``folder`` (``MLproject`` if there is one).

    Raises :class:`NotFound` for a missing folder and :class:`InvalidArgument`
    for an ``MLproject`` that does not follow the format (the message names
    the key and what is allowed).
    """
    root = Path(folder)
    if not root.is_dir():
        raise NotFound(f"project folder {root} does not exist")
    path = root / MLPROJECT_FILE
    if not path.is_file():
        env_path = root / PYTHON_ENV_FILE
        found = read_python_env_file(env_path) if env_path.is_file() else None
        return Project(root, None, {}, "python_env" if found else None, found)
    doc = _load_yaml(path) or {}
    if not isinstance(doc, dict):
        raise InvalidArgument(f"{path} must be a mapping (name, python_env, entry_points)")
    if "docker_env" in doc:
        raise InvalidArgument(
            f"{path} uses docker_env, which litetrack does not run; supported: python_env "
            "(a python_env.yaml, built with --env-manager virtualenv) or --env-manager local"
        )
    env_kind: str | None = None
    env: PythonEnv | None = None
    if "python_env" in doc:
        env_kind = "python_env"
        env = read_python_env_file(root / str(doc["python_env"]))
    elif "conda_env" in doc:
        env_kind = "conda_env"
        env = _conda_pip_section(root / str(doc["conda_env"]))
    entry_points: dict[str, EntryPoint] = {}
    raw_eps = doc.get("entry_points") or {}
    if not isinstance(raw_eps, dict):
        raise InvalidArgument(f"entry_points in {path} must be a mapping of name to entry point")
    for name, ep in raw_eps.items():
        if not isinstance(ep, dict) or not isinstance(ep.get("command"), str):
            raise InvalidArgument(
                f"entry point {name!r} in {path} needs a command (a string), got {ep!r}"
            )
        params_doc = ep.get("parameters") or {}
        if not isinstance(params_doc, dict):
            raise InvalidArgument(f"parameters of entry point {name!r} in {path} must be a mapping")
        params = {str(k): _parameter(str(name), k, v, path) for k, v in params_doc.items()}
        entry_points[str(name)] = EntryPoint(str(name), ep["command"], params)
    name = doc.get("name")
    return Project(root, str(name) if name is not None else None, entry_points, env_kind, env)
