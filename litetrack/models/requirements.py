"""What a saved model needs to run: requirements, environment files, check, restore.

* :func:`modules_in_pickle` lists the top-level modules a pickle refers to,
  reading its opcodes (never unpickling it).
* :func:`infer_requirements` maps those modules to installed distributions,
  pinned ``name==version``; :func:`resolve_requirements` applies the user's
  ``pip_requirements`` (replace) / ``extra_pip_requirements`` (add).
* :func:`write_env_files` writes ``conda.yaml``, ``requirements.txt`` and
  ``python_env.yaml`` in the layout MLflow writes, so MLflow tooling reads
  them; :func:`read_requirements` and :func:`read_python_env` read them back.
* :func:`check_environment` compares the running interpreter with a model's
  files (``litetrack env check``); :func:`restore_environment` builds a
  virtualenv that matches ``requirements.txt`` exactly with pip-tools'
  ``pip-sync`` (the ``env`` extra).

YAML is written by hand: the files are small and fixed in shape, and litetrack
must not depend on pyyaml at run time. The scalar quoting follows pyyaml's
rules, so the bytes equal what ``yaml.safe_dump`` (MLflow's writer) produces
for requirement strings of ordinary length.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import pickletools
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litetrack.errors import ArtifactNotFound, InvalidArgument, InvalidState, NotFound
from litetrack.store.fs import atomic_write, ensure_dir

__all__ = [
    "CONDA_FILE",
    "REQUIREMENTS_FILE",
    "PYTHON_ENV_FILE",
    "Mismatch",
    "check_environment",
    "check_environment_python",
    "LOCK_FILE",
    "format_check",
    "infer_requirements",
    "modules_in_pickle",
    "pinned",
    "read_python_env",
    "read_requirements",
    "resolve_requirements",
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
# Pickle scanning
# --------------------------------------------------------------------------

_MARK = object()  # stack sentinel for MARK
_STRING_OPS = frozenset(
    {
        "STRING",
        "BINSTRING",
        "SHORT_BINSTRING",
        "UNICODE",
        "BINUNICODE",
        "SHORT_BINUNICODE",
        "BINUNICODE8",
    }
)
_GET_OPS = frozenset({"GET", "BINGET", "LONG_BINGET"})
_PUT_OPS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})


def _pop_to_mark(stack: list[Any]) -> None:
    while stack:
        if stack.pop() is _MARK:
            return


def _scan_one(stream: io.BytesIO, found: set[str]) -> None:
    """Scan one pickle (up to STOP), adding referenced module paths to ``found``."""
    import _compat_pickle

    # A small simulation of the unpickler's stack, values only where they can
    # name a module (strings); everything else is None. pickletools' opcode
    # table says how many items each opcode pops and pushes.
    stack: list[Any] = []
    memo: dict[Any, Any] = {}
    proto = 0
    for op, arg, _pos in pickletools.genops(stream):
        name = op.name
        if name == "PROTO":
            proto = int(arg or 0)
            continue
        if name in _STRING_OPS:
            stack.append(arg if isinstance(arg, str) else None)
            continue
        if name in _GET_OPS:
            stack.append(memo.get(arg))
            continue
        if name in _PUT_OPS:
            memo[arg] = stack[-1] if stack else None
            continue
        if name == "MEMOIZE":
            memo[len(memo)] = stack[-1] if stack else None
            continue
        if name == "MARK":
            stack.append(_MARK)
            continue
        if name in ("GLOBAL", "INST"):
            module, _, qualname = str(arg).partition(" ")
            # Protocols 0-2 written by Python 3 carry Python 2 names
            # (copy_reg, __builtin__.set); Unpickler.find_class maps them
            # back, so do we, the same way.
            if proto < 3:
                if (module, qualname) in _compat_pickle.NAME_MAPPING:
                    module = _compat_pickle.NAME_MAPPING[(module, qualname)][0]
                else:
                    module = _compat_pickle.IMPORT_MAPPING.get(module, module)
            found.add(module)
            if name == "INST":
                _pop_to_mark(stack)
            stack.append(None)
            continue
        if name == "STACK_GLOBAL":
            pushed_name = stack.pop() if stack else None
            pushed_module = stack.pop() if stack else None
            if isinstance(pushed_module, str) and isinstance(pushed_name, str):
                found.add(pushed_module)
            stack.append(None)
            continue
        before = op.stack_before
        if pickletools.markobject in before:
            # [..., markobject, stackslice]: pop the slice and the mark, then
            # the items listed before the mark (e.g. the list for APPENDS).
            _pop_to_mark(stack)
            extra = before.index(pickletools.markobject)
        else:
            extra = len(before)
        for _ in range(extra):
            if stack:
                stack.pop()
        stack.extend([None] * len(op.stack_after))


def modules_in_pickle(data: bytes | bytearray | memoryview | str | os.PathLike[str]) -> set[str]:
    """Return the top-level module names a pickle stream refers to.

    ``data`` is the pickle's bytes or the path of a pickle file; a file may
    hold several pickles one after another (all are read). Reads GLOBAL, INST
    and STACK_GLOBAL opcodes with ``pickletools.genops`` and follows the memo
    (MEMOIZE/PUT/GET), which cloudpickle output uses for nearly every string.
    Nothing is unpickled or imported. Example: a cloudpickled
    ``DictVectorizer`` gives ``{"sklearn", "numpy", "copyreg", ...}``.

    Raises :class:`~litetrack.errors.InvalidArgument` when the bytes are not
    a pickle, and ``OSError`` when the file cannot be read.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        where = "<bytes>"
    else:
        where = os.fspath(data)
        with open(where, "rb") as f:
            raw = f.read()
    stream = io.BytesIO(raw)
    found: set[str] = set()
    try:
        while stream.tell() < len(raw):
            _scan_one(stream, found)
    except ValueError as exc:
        raise InvalidArgument(
            f"not a pickle stream ({where}): {exc}; "
            "expected bytes written by pickle or cloudpickle",
            path=where,
        ) from exc
    return {m.split(".", 1)[0] for m in found if m}


# --------------------------------------------------------------------------
# Requirements
# --------------------------------------------------------------------------

_NAME_RUN = re.compile(r"[-_.]+")


def _canonical(name: str) -> str:
    # PEP 503: pip, pip-tools and PyPI all compare names in this form.
    return _NAME_RUN.sub("-", name).lower()


@functools.lru_cache(maxsize=1)
def _packages_distributions() -> dict[str, tuple[str, ...]]:
    import importlib.metadata as md

    # ~0.1 s for ~120 distributions (it reads every RECORD), so once per process.
    return {k: tuple(v) for k, v in md.packages_distributions().items()}


def _dist_version(dist_name: str) -> str | None:
    import importlib.metadata as md

    try:
        return md.version(dist_name)
    except md.PackageNotFoundError:
        return None


def pinned(dist_name: str) -> str:
    """Return ``"name==version"`` for an installed distribution (name PEP 503 normalized).

    ``pinned("cloudpickle")`` -> ``"cloudpickle==3.1.3"``. Raises
    :class:`~litetrack.errors.NotFound` when the distribution is not installed.
    """
    version = _dist_version(dist_name)
    if version is None:
        raise NotFound(
            f"distribution {dist_name!r} is not installed in {sys.executable}; "
            "expected the name of an installed package (as `pip list` shows it)",
            name=dist_name,
        )
    return f"{_canonical(dist_name)}=={version}"


def _is_stdlib(module: str) -> bool:
    return (
        module in sys.stdlib_module_names
        or module in sys.builtin_module_names
        or module in ("__main__", "__builtin__", "__mp_main__")
    )


def infer_requirements(modules: Iterable[str], extra_packages: Sequence[str] = ()) -> list[str]:
    """Map top-level module names to pinned requirements of installed distributions.

    Skips the standard library, builtin modules and ``__main__``. A module
    provided by several distributions (namespace packages) pins all of them.
    A module no installed distribution provides (a local ``src/`` package,
    say) is skipped with a warning on this module's logger: it cannot be
    pip-installed by name. ``extra_packages`` are distribution names pinned
    as well (e.g. ``["cloudpickle"]`` for pickled models). Returns sorted,
    de-duplicated ``name==version`` strings; raises
    :class:`~litetrack.errors.NotFound` for an ``extra_packages`` entry that
    is not installed.
    """
    mapping = _packages_distributions()
    dists: set[str] = set()
    for module in modules:
        top = module.split(".", 1)[0]
        if not top or _is_stdlib(top):
            continue
        provided = mapping.get(top)
        if not provided:
            _log.warning(
                "module %r is referenced by the model but no installed distribution "
                "provides it; add it with extra_pip_requirements if it can be installed",
                top,
            )
            continue
        dists.update(provided)
    reqs = {}
    for dist in dists:
        version = _dist_version(dist)
        if version is not None:
            reqs[_canonical(dist)] = f"{_canonical(dist)}=={version}"
    for dist in extra_packages:
        req = pinned(dist)
        reqs[_canonical(dist)] = req
    return [reqs[k] for k in sorted(reqs)]


_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?=$|[\[<>=!~;@ ])")


def _requirement_name(req: str) -> str | None:
    """Canonical project name of a requirement line, None for options, paths and URLs."""
    if req.lstrip().startswith("-"):
        return None
    m = _REQ_NAME.match(req)
    return _canonical(m.group(1)) if m else None


def _as_list(reqs: Sequence[str] | str | os.PathLike[str]) -> list[str]:
    if isinstance(reqs, (str, os.PathLike)):
        # A path, as MLflow accepts `pip_requirements="requirements.txt"`.
        return read_requirements(reqs)
    if not all(isinstance(r, str) for r in reqs):
        raise InvalidArgument(
            f"requirements must be strings or a requirements file path, got {reqs!r}"
        )
    return [r.strip() for r in reqs if r.strip()]


def _litetrack_requirement() -> str:
    version = _dist_version("litetrack")
    if version is None:
        # Running from a source tree: take the package's own version if it
        # has one; an unpinned name is still better than nothing.
        import litetrack

        version = getattr(litetrack, "__version__", None)
    return f"litetrack=={version}" if version else "litetrack"


def resolve_requirements(
    inferred: Sequence[str],
    pip_requirements: Sequence[str] | str | os.PathLike[str] | None = None,
    extra_pip_requirements: Sequence[str] | str | os.PathLike[str] | None = None,
    *,
    include_litetrack: bool = True,
) -> list[str]:
    """Combine inferred requirements with the user's, MLflow's way.

    ``pip_requirements`` replaces the inferred list; ``extra_pip_requirements``
    is added to it (an extra that names an inferred package replaces that
    pin). Each may be a list of strings or the path of a requirements file.
    Giving both raises :class:`~litetrack.errors.InvalidArgument`. Unless
    ``include_litetrack=False`` or the list already names it,
    ``litetrack==<version>`` goes first, as MLflow puts ``mlflow`` first: the
    model's loader is litetrack's, so a restored environment needs it.
    Duplicates are dropped (first wins, except as said for extras).
    """
    if pip_requirements is not None and extra_pip_requirements is not None:
        raise InvalidArgument(
            "give only one of pip_requirements (replaces the inferred list) and "
            "extra_pip_requirements (adds to it), not both"
        )
    if pip_requirements is not None:
        reqs = _as_list(pip_requirements)
    else:
        extras = _as_list(extra_pip_requirements) if extra_pip_requirements is not None else []
        extra_names = {_requirement_name(r) for r in extras} - {None}
        reqs = [r for r in inferred if _requirement_name(r) not in extra_names] + extras
    out: list[str] = []
    seen_names: set[str] = set()
    seen_lines: set[str] = set()
    for req in reqs:
        name = _requirement_name(req)
        if (name is not None and name in seen_names) or req in seen_lines:
            continue
        if name is not None:
            seen_names.add(name)
        seen_lines.add(req)
        out.append(req)
    if include_litetrack and "litetrack" not in seen_names:
        out.insert(0, _litetrack_requirement())
    return out


def read_requirements(path: str | os.PathLike[str]) -> list[str]:
    """Read a requirements file into a list of lines.

    Comments (``#`` at the start or after a space), blank lines and line
    continuations (a trailing ``\\``) are handled as pip does; option lines
    (``-r other.txt``, ``--index-url ...``) are kept as they are. Raises
    :class:`~litetrack.errors.ArtifactNotFound` when the file is missing.
    """
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError as exc:
        raise ArtifactNotFound(f"no requirements file at {path}", path=path) from exc
    text = re.sub(r"\\\r?\n", "", text)
    out = []
    for line in text.splitlines():
        line = re.sub(r"(^|\s+)#.*$", "", line).strip()
        if line:
            out.append(line)
    return out


# --------------------------------------------------------------------------
# YAML (the small subset MLflow's env files use)
# --------------------------------------------------------------------------

# pyyaml's implicit resolvers (YAML 1.1): a plain scalar matching one of these
# would read back as a bool/number/null/date, so it must be quoted.
_IMPLICIT = re.compile(
    r"""^(?:
      yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    | [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    | \.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
    | [-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
    | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
    | << | ~ | null|Null|NULL | = | [!&*]
    | [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    | [0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
      (?:[Tt]|[\ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
      (?:[\ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?
    )$""",
    re.X,
)
_WS = " \t\r\n\x00"


def _plain_ok(s: str) -> bool:
    """Whether pyyaml would write ``s`` as a plain scalar in block context."""
    if not s or _IMPLICIT.match(s):
        return False
    if any(not (" " <= ch <= "~") for ch in s):
        return False
    if s[0] == " " or s[-1] == " " or s.startswith(("---", "...")):
        return False
    followed_ws = len(s) == 1 or s[1] in _WS
    if s[0] in "#,[]{}&*!|>'\"%@`":
        return False
    if s[0] in "?:-" and followed_ws:
        return False
    for i in range(1, len(s)):
        ch = s[i]
        nxt_ws = i + 1 >= len(s) or s[i + 1] in _WS
        if ch == ":" and nxt_ws:
            return False
        if ch == "#" and s[i - 1] in _WS:
            return False
    return True


def _yaml_scalar(s: str) -> str:
    if _plain_ok(s):
        return s
    if all(" " <= ch <= "~" for ch in s):
        return "'" + s.replace("'", "''") + "'"
    # Control or non-ASCII characters: a double-quoted scalar with YAML
    # escapes (\x, \u, \U; not JSON's surrogate pairs, which YAML reads as
    # two characters).
    out = []
    for ch in s:
        code = ord(ch)
        if ch in '\\"':
            out.append("\\" + ch)
        elif 0x20 <= code <= 0x7E:
            out.append(ch)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


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
