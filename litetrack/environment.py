"""The Python environment of a run: interpreter, platform and installed packages.

:func:`capture_environment` describes the running interpreter and every
installed distribution; :func:`environment_blob` is the same description as
canonical bytes, so a thousand runs in one virtualenv store one blob in the
content-addressed store. :func:`diff_environments` and :func:`format_env_diff`
compare two captures (``litetrack env diff`` in the CLI).

Switch-off: with ``LITETRACK_CAPTURE_ENV=0`` (see :mod:`litetrack.settings`)
the tracking layer skips the capture. :func:`capture_environment` itself
always captures when called, because a direct call is an explicit request.

Cost: the first call in a process imports ``importlib.metadata`` and reads
each distribution's metadata header, ~30 ms for 125 packages on a loaded
2-core machine (the header scan alone is ~6 ms; the email parser behind
``Distribution.metadata`` took ~55 ms). Later calls return the cache:
``environment_blob()`` in about a microsecond, ``capture_environment()`` in
~0.15 ms (it returns a deep copy).
"""

from __future__ import annotations

import copy
import json
import platform
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

# PEP 503 names, as pip compares them. Importing packaging.utils costs ~6 ms
# once per process, paid in the environment-capture thread.
from packaging.utils import canonicalize_name

__all__ = [
    "ENV_SCHEMA_VERSION",
    "EnvDiff",
    "capture_environment",
    "clear_cache",
    "diff_environments",
    "environment_blob",
    "distribution_header",
    "format_env_diff",
]

#: Version of the captured document's layout; bump when keys change meaning.
ENV_SCHEMA_VERSION = 1


_lock = threading.Lock()
# The cache is keyed by sys.path: the set of importable distributions is a
# function of it, so a notebook that appends to sys.path gets a fresh capture
# while a sweep of a thousand runs pays once.
_cache_key: tuple[str, ...] | None = None
_cache_env: dict[str, Any] | None = None
_cache_blob: bytes | None = None

def distribution_header(dist: Any) -> tuple[str | None, str | None]:
    """The ``Name`` and ``Version`` of an installed ``importlib.metadata`` distribution.

    The one reader of METADATA (or PKG-INFO) in litetrack: only the header
    block (up to the first blank line) holds the two fields, and reading it
    by hand is ~10x faster than the email parser behind
    ``Distribution.metadata``, which reads the whole long description too.
    Odd installs (eggs, broken metadata) fall back to that parser. Either
    value is None when the distribution does not say it.
    """
    try:
        text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    except OSError:
        text = ""
    name, version = _header_fields(text)
    if not name or not version:
        try:
            name = name or dist.metadata["Name"]
            version = version or dist.version
        except Exception:  # noqa: BLE001 - one broken distribution must not fail a caller
            pass
    return name or None, version or None


def _header_fields(text: str) -> tuple[str | None, str | None]:
    name = version = None
    header = text.split("\n\n", 1)[0]
    for line in header.splitlines():
        if name is None and line.startswith("Name:"):
            name = line[5:].strip()
        elif version is None and line.startswith("Version:"):
            version = line[8:].strip()
        if name is not None and version is not None:
            break
    return name, version


def _installed_distributions() -> dict[str, str]:
    import importlib.metadata as md

    found: dict[str, str] = {}
    for dist in md.distributions():
        name, version = distribution_header(dist)
        if not name or not version:
            continue
        # First one on sys.path wins, as it does for `import`.
        found.setdefault(canonicalize_name(name), version)
    return dict(sorted(found.items()))


def _python_version() -> str:
    return ".".join(str(part) for part in sys.version_info[:3])


def _capture_uncached() -> dict[str, Any]:
    return {
        "schema_version": ENV_SCHEMA_VERSION,
        "python": {
            "version": _python_version(),
            # sys.version adds build date and compiler: two interpreters with
            # the same X.Y.Z can still differ (distro vs pyenv builds).
            "build": sys.version,
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "platform": {
            "system": platform.system(),
            "release": platform.release(),
            "machine": platform.machine(),
        },
        "packages": _installed_distributions(),
    }


def _cached() -> tuple[dict[str, Any], bytes]:
    global _cache_key, _cache_env, _cache_blob
    key = tuple(sys.path)
    with _lock:
        if _cache_key != key or _cache_env is None or _cache_blob is None:
            env = _capture_uncached()
            _cache_env = env
            _cache_blob = _canonical(env)
            _cache_key = key
        return _cache_env, _cache_blob


def _canonical(env: dict[str, Any]) -> bytes:
    # Fixed parameters (not store.fs.dumps) so the digest of an environment
    # never changes because the store's pretty-printing changed.
    return json.dumps(env, sort_keys=True, indent=1, ensure_ascii=True).encode("utf-8") + b"\n"


def capture_environment(refresh: bool = False) -> dict[str, Any]:
    """Describe the running interpreter and its installed distributions.

    Returns a new dict::

        {"schema_version": 1,
         "python": {"version": "3.11.7", "build": sys.version,
                    "implementation": "CPython", "executable": "/.../python"},
         "platform": {"system": "Linux", "release": "...", "machine": "x86_64"},
         "packages": {"numpy": "1.26.4", "scikit-learn": "1.4.2", ...}}

    Package names are PEP 503 normalized and sorted. The result is cached per
    process (and per ``sys.path``); pass ``refresh=True`` after installing
    packages in the running process. Never raises for a broken distribution:
    it is skipped.
    """
    if refresh:
        clear_cache()
    env, _ = _cached()
    # A copy, so a caller that edits its dict cannot corrupt the next run's.
    return copy.deepcopy(env)


def environment_blob() -> bytes:
    """Return :func:`capture_environment` as canonical JSON bytes.

    Sorted keys, fixed formatting, no timestamps or process ids: two runs in
    the same virtualenv (same or different processes) get identical bytes, so
    the caller can store them once under their digest.
    """
    _, blob = _cached()
    return blob


def clear_cache() -> None:
    """Forget the cached capture (the next call re-reads installed packages)."""
    global _cache_key, _cache_env, _cache_blob
    with _lock:
        _cache_key = _cache_env = _cache_blob = None


@dataclass(frozen=True)
class EnvDiff:
    """Differences from environment ``a`` to environment ``b``.

    ``added``/``removed`` map package name to version (present only in b /
    only in a); ``changed`` maps name to ``(version_in_a, version_in_b)``;
    ``python`` and ``platform`` map a field (``version``, ``machine`` ...) to
    ``(value_in_a, value_in_b)``. An EnvDiff is falsy when there is nothing.
    """

    added: dict[str, str] = field(default_factory=dict)
    removed: dict[str, str] = field(default_factory=dict)
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)
    python: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    platform: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.python or self.platform)


def _section_diff(
    a: Any, b: Any, ignore: frozenset[str] = frozenset()
) -> dict[str, tuple[Any, Any]]:
    a = a if isinstance(a, dict) else {}
    b = b if isinstance(b, dict) else {}
    out = {}
    for key in sorted(set(a) | set(b)):
        if key in ignore:
            continue
        if a.get(key) != b.get(key):
            out[key] = (a.get(key), b.get(key))
    return out


def diff_environments(a: dict[str, Any], b: dict[str, Any]) -> EnvDiff:
    """Compare two :func:`capture_environment` results (a = before, b = after).

    Package names are compared after normalization, so captures written by
    other tools with ``Scikit_Learn`` spellings still match. Missing sections
    count as empty. The ``python.build`` string is left out when the versions
    differ (it would only repeat the version change).
    """
    pa: dict[str, str] = {
        canonicalize_name(k): str(v) for k, v in (a.get("packages") or {}).items()
    }
    pb: dict[str, str] = {
        canonicalize_name(k): str(v) for k, v in (b.get("packages") or {}).items()
    }
    added = {k: pb[k] for k in sorted(pb.keys() - pa.keys())}
    removed = {k: pa[k] for k in sorted(pa.keys() - pb.keys())}
    changed = {k: (pa[k], pb[k]) for k in sorted(pa.keys() & pb.keys()) if pa[k] != pb[k]}
    python = _section_diff(a.get("python"), b.get("python"))
    if "version" in python:
        python.pop("build", None)
    return EnvDiff(
        added=added,
        removed=removed,
        changed=changed,
        python=python,
        platform=_section_diff(a.get("platform"), b.get("platform")),
    )


def format_env_diff(diff: EnvDiff) -> str:
    """Render an :class:`EnvDiff` as lines for the terminal.

    ``python.version: 3.10.12 -> 3.11.7``, then ``+ name version`` for added,
    ``- name version`` for removed and ``~ name old -> new`` for changed
    packages; ``no differences`` when the diff is empty.
    """
    if not diff:
        return "no differences"
    lines: list[str] = []
    for section, items in (("python", diff.python), ("platform", diff.platform)):
        for key, (old, new) in items.items():
            lines.append(f"{section}.{key}: {old} -> {new}")
    width = max((len(n) for n in (*diff.added, *diff.removed, *diff.changed)), default=0)
    for name, version in diff.added.items():
        lines.append(f"+ {name:<{width}}  {version}")
    for name, version in diff.removed.items():
        lines.append(f"- {name:<{width}}  {version}")
    for name, (old, new) in diff.changed.items():
        lines.append(f"~ {name:<{width}}  {old} -> {new}")
    counts = f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed"
    lines.append(counts)
    return "\n".join(lines)
