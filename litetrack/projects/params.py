"""Checking an entry point's parameters and filling its command template.

Every check happens before anything runs: a parameter without value or
default, a value that is not of its type, a path that does not exist. Each
error names the parameter. Values not declared by the entry point are passed
on as ``--key value``, as MLflow does.
"""

from __future__ import annotations

import math
import os
import shlex
import string
from collections.abc import Mapping
from typing import Any

from litetrack.errors import InvalidArgument
from litetrack.projects.spec import EntryPoint, Parameter

__all__ = ["check_parameters", "render_command"]


def _as_str(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _convert(param: Parameter, value: Any, cwd: str) -> str:
    text = _as_str(value)
    where = f"parameter {param.name!r}"
    if param.type == "float":
        try:
            number = float(text)
        except ValueError:
            raise InvalidArgument(
                f"{where} must be a float, got {text!r}", parameter=param.name
            ) from None
        if math.isnan(number):
            raise InvalidArgument(f"{where} must be a float, got {text!r}", parameter=param.name)
        return text
    if param.type == "int":
        try:
            int(text)
        except ValueError:
            raise InvalidArgument(
                f"{where} must be an int, got {text!r}", parameter=param.name
            ) from None
        return text
    if param.type == "path":
        path = os.path.join(cwd, os.path.expanduser(text))
        if not os.path.exists(path):
            raise InvalidArgument(
                f"{where} is a path, and {text!r} does not exist "
                f"(looked at {os.path.abspath(path)})",
                parameter=param.name,
            )
        return os.path.abspath(path)
    if param.type == "uri":
        # A relative local path becomes absolute (the command runs elsewhere); URIs stay.
        if "://" not in text and not os.path.isabs(text):
            return os.path.abspath(os.path.join(cwd, text))
        return text
    return text


def check_parameters(
    entry: EntryPoint, given: Mapping[str, Any], cwd: str | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """Resolve ``given`` against ``entry``'s parameters.

    Returns ``(declared, extra)``: every declared parameter with its value
    (given, or the default) as a string, and the values the entry point does
    not declare. Relative ``path``/``uri`` values are made absolute against
    ``cwd`` (default: the current folder). Raises :class:`InvalidArgument`
    naming every missing parameter, or the first one whose value is wrong.
    """
    base = cwd or os.getcwd()
    missing = [name for name, p in entry.parameters.items() if name not in given and p.required]
    if missing:
        raise InvalidArgument(
            f"No value given for missing parameters of entry point {entry.name!r}: "
            + ", ".join(repr(m) for m in missing)
            + " (give them with -P name=value)",
            parameters=missing,
        )
    declared: dict[str, str] = {}
    for name, param in entry.parameters.items():
        value = given[name] if name in given else param.default
        declared[name] = _convert(param, value, base)
    extra = {}
    for key, value in given.items():
        if key in entry.parameters:
            continue
        if not key or any(c.isspace() for c in key):
            raise InvalidArgument(f"parameter name {key!r} must be non-empty without spaces")
        extra[key] = _as_str(value)
    return declared, extra


def render_command(entry: EntryPoint, declared: Mapping[str, str], extra: Mapping[str, str]) -> str:
    """The shell command: the template with each ``{name}`` replaced by its quoted value.

    Extra values follow as ``--key value``. Raises :class:`InvalidArgument`
    when the template names a parameter the entry point does not declare.
    """
    fields = [f for _, f, _, _ in string.Formatter().parse(entry.command) if f is not None]
    unknown = sorted({f for f in fields if f not in declared})
    if unknown:
        raise InvalidArgument(
            f"the command of entry point {entry.name!r} uses {unknown}, which are not among its "
            f"parameters {sorted(declared)}"
        )
    command = entry.command.format(**{k: shlex.quote(v) for k, v in declared.items()})
    for key, value in extra.items():
        command += f" --{key} {shlex.quote(value)}"
    return command
