"""What a saved model needs to run: the modules its pickles use, as pinned requirements.

* :func:`modules_in_pickle` lists the top-level modules a pickle refers to,
  reading its stream (never importing anything, never running its code).
* :func:`infer_requirements` maps those modules to installed distributions,
  pinned ``name==version``; :func:`resolve_requirements` applies the user's
  ``pip_requirements`` (replace) / ``extra_pip_requirements`` (add).

The environment files themselves (``conda.yaml``, ``requirements.txt``,
``python_env.yaml``), the check against the running interpreter and the
restore into a virtualenv live in :mod:`litetrack.models.envfiles`.
Requirement lines and project names are read with ``packaging``, as pip
reads them.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import pickle
import pickletools
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from litetrack.environment import distribution_header
from litetrack.errors import ArtifactNotFound, InvalidArgument, NotFound

__all__ = [
    "infer_requirements",
    "modules_in_pickle",
    "parse_requirement",
    "pinned",
    "read_requirements",
    "resolve_requirements",
]

_log = logging.getLogger(__name__)

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


class _Stub:
    """What the scanning unpickler gives for every global: accepts any call and state.

    Reconstructors (``copyreg._reconstructor``, numpy's ``_reconstruct``,
    ``os.system`` in a hostile pickle ...) all become this inert class, so the
    opcodes run at C speed without importing or running anything.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> _Stub:
        return object.__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> _Stub:
        return _Stub()

    def __setstate__(self, state: Any) -> None:
        pass

    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def append(self, item: Any) -> None:
        pass

    def extend(self, items: Any) -> None:
        pass

    def add(self, item: Any) -> None:
        pass


def _imports_of_code(code: Any, found: set[str]) -> None:
    """Add the absolute imports (``IMPORT_NAME`` with level 0) of a code object."""
    import dis

    level: Any = None
    prev: Any = None
    for ins in dis.get_instructions(code):
        if ins.opname == "IMPORT_NAME" and level == 0 and isinstance(ins.argval, str):
            found.add(ins.argval)
        # IMPORT_NAME follows LOAD_CONST <level>, LOAD_CONST <fromlist>.
        level, prev = prev, (ins.argval if ins.opname == "LOAD_CONST" else None)


class _ScanningUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, found: set[str], code: set[str] | None) -> None:
        super().__init__(file)
        self.found = found
        self.code = code
        self.proto = 5

    def find_class(self, module: str, name: str) -> Any:
        if self.proto < 3:
            import _compat_pickle

            # What pickle.Unpickler.find_class maps before importing.
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            else:
                module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        self.found.add(module)
        code = self.code
        if code is not None and module.startswith("cloudpickle"):
            if name == "subimport":
                # cloudpickle writes the modules that by-value functions use
                # as globals (`import xgboost as xgb` at the top of __main__)
                # as subimport("xgboost"): a string argument, not a GLOBAL.
                def subimport(mod: Any, *_: Any) -> _Stub:
                    if isinstance(mod, str):
                        code.add(mod)
                    return _Stub()

                return subimport
            if name == "_builtin_type":
                return self._builtin_type
        return _Stub

    def _builtin_type(self, name: Any) -> Any:
        if name != "CodeType":
            return _Stub
        code = self.code
        assert code is not None

        def make_code(*args: Any) -> Any:
            # Building a code object runs nothing; reading its bytecode finds
            # the imports inside pickled functions (`def load_context(...):
            # import xgboost`).
            import types

            try:
                obj = types.CodeType(*args)
                _imports_of_code(obj, code)
            except Exception:  # noqa: BLE001 - another Python's bytecode: skip it
                return _Stub()
            return obj

        return make_code

    def persistent_load(self, pid: Any) -> Any:
        return _Stub()


def _fast_scan(raw: bytes, code: set[str] | None) -> set[str]:
    found: set[str] = set()
    stream = io.BytesIO(raw)
    while stream.tell() < len(raw):
        start = stream.tell()
        unpickler = _ScanningUnpickler(stream, found, code)
        unpickler.proto = raw[start + 1] if raw[start : start + 1] == b"\x80" else 0
        unpickler.load()
    return found


def modules_in_pickle(
    data: bytes | bytearray | memoryview | str | os.PathLike[str], *, include_code: bool = False
) -> set[str]:
    """Return the top-level module names a pickle stream refers to.

    ``data`` is the pickle's bytes or the path of a pickle file; a file may
    hold several pickles one after another (all are read). The result is the
    set of modules an unpickler would import (the GLOBAL, INST and
    STACK_GLOBAL opcodes, with Python 2 names mapped as pickle maps them).
    Nothing is imported and nothing of the pickle runs: the opcodes are
    executed by ``pickle.Unpickler`` at C speed with every global replaced by
    an inert stub, and, should that fail, simulated with
    ``pickletools.genops``. Example: a cloudpickled ``DictVectorizer`` gives
    ``{"sklearn", "numpy", "copyreg", ...}``.

    ``include_code=True`` adds the modules that functions and classes pickled
    *by value* (defined in ``__main__`` or a notebook) use: cloudpickle's
    ``subimport("xgboost")`` for module globals, and the absolute ``import``
    statements in their bytecode. Those are needed to *run* the object, not
    to unpickle it.

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
    code: set[str] | None = set() if include_code else None
    try:
        found = _fast_scan(raw, code)
    except Exception:  # noqa: BLE001 - anything odd: the opcode simulation decides
        found = set()
        stream = io.BytesIO(raw)
        try:
            while stream.tell() < len(raw):
                _scan_one(stream, found)
        except ValueError as exc:
            raise InvalidArgument(
                f"not a pickle stream ({where}): {exc}; "
                "expected bytes written by pickle or cloudpickle",
                path=where,
            ) from exc
    if code:
        found |= code
    return {m.split(".", 1)[0] for m in found if m}


# --------------------------------------------------------------------------
# Requirements
# --------------------------------------------------------------------------

def _top_level_names(dist: Any) -> set[str]:
    """Importable top-level names of a distribution: top_level.txt, else its RECORD."""
    import inspect

    declared = (dist.read_text("top_level.txt") or "").split()
    if declared:
        return set(declared)
    record = dist.read_text("RECORD") or dist.read_text("installed-files.txt") or ""
    names = set()
    for line in record.splitlines():
        path = line.split(",", 1)[0].strip().strip('"')
        if not path:
            continue
        head, sep, _ = path.partition("/")
        name = head if sep else (inspect.getmodulename(head) or head)
        if "." not in name and name != "__pycache__":
            names.add(name)
    return names


def _scan_distributions() -> dict[str, tuple[str, ...]]:
    # importlib.metadata.packages_distributions() with plain string work: it
    # builds a pathlib object per RECORD line (~13k here) and parses every
    # METADATA with the email package, ~0.15-0.35 s; this takes a fraction.
    import importlib.metadata as md

    out: dict[str, list[str]] = {}
    for dist in md.distributions():
        name, _version = distribution_header(dist)
        if not name:
            continue
        for top in _top_level_names(dist):
            out.setdefault(top, []).append(name)
    return {k: tuple(v) for k, v in out.items()}


@functools.lru_cache(maxsize=1)
def _packages_distributions() -> dict[str, tuple[str, ...]]:
    """Top-level module -> distributions providing it (cached: once per process)."""
    try:
        return _scan_distributions()
    except Exception:  # noqa: BLE001 - an odd installation: the stdlib's slower, sturdier walk
        import importlib.metadata as md

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
    return f"{canonicalize_name(dist_name)}=={version}"


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
    tops = sorted({m.split(".", 1)[0] for m in modules} - {""})
    tops = [t for t in tops if not _is_stdlib(t)]
    # Only build the module map when there is something to look up in it.
    mapping = _packages_distributions() if tops else {}
    dists: set[str] = set()
    for top in tops:
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
            reqs[canonicalize_name(dist)] = f"{canonicalize_name(dist)}=={version}"
    for dist in extra_packages:
        req = pinned(dist)
        reqs[canonicalize_name(dist)] = req
    return [reqs[k] for k in sorted(reqs)]


def parse_requirement(line: str) -> Requirement | None:
    """A requirement line as :class:`packaging.requirements.Requirement`, as pip reads it.

    None for what is not a named requirement: pip options (``-r x.txt``,
    ``--index-url ...``), bare paths and URLs, unparsable text. Per-line pip
    options after the requirement (``numpy==1.0 --hash=sha256:...``) are
    ignored.
    """
    text = line.strip()
    if not text or text.startswith("-"):
        return None
    text = text.split(" --", 1)[0]
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def _requirement_name(req: str) -> str | None:
    """Canonical project name of a requirement line, None for options, paths and URLs."""
    parsed = parse_requirement(req)
    return canonicalize_name(parsed.name) if parsed is not None else None


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
