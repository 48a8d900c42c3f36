"""Every environment variable litetrack reads, declared once, with one rule for true and false.

No other module reads ``os.environ`` for a ``LITETRACK_*`` or ``MLFLOW_*``
name (``tests/test_settings.py`` checks): each asks an accessor here. The
accessors read the environment at each call, never at import, so a script or
a test can change a variable late and be obeyed.

Switches (:func:`flag`) all follow one rule: ``1``/``true``/``yes``/``on``
mean on and ``0``/``false``/``no``/``off`` mean off (any case, surrounding
blanks ignored); unset or empty means the switch's default; any other value
raises :class:`~litetrack.errors.InvalidArgument` naming the variable, rather
than being guessed at.

:data:`VARIABLES` lists them all with their meaning; ``docs/guide.md`` shows
the same table.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from litetrack.errors import InvalidArgument

__all__ = [
    "VARIABLES",
    "Variable",
    "capture_env_enabled",
    "capture_source_enabled",
    "flag",
    "fsync_enabled",
    "index_enabled",
    "jupyter_session_name",
    "mlflow_experiment_id",
    "mlflow_experiment_name",
    "mlflow_tracking_uri",
    "pager",
    "push_on_end",
    "registry_uri",
    "spark_load_log",
    "store_uri",
    "take_handed_run_id",
    "text",
    "truncate_long_values",
    "ui_token",
    "user_shell",
]

STORE = "LITETRACK_STORE"
FSYNC = "LITETRACK_FSYNC"
INDEX = "LITETRACK_INDEX"
CAPTURE_SOURCE = "LITETRACK_CAPTURE_SOURCE"
CAPTURE_ENV = "LITETRACK_CAPTURE_ENV"
SPARK_LOAD_LOG = "LITETRACK_SPARK_LOAD_LOG"
MLFLOW_TRACKING_URI = "MLFLOW_TRACKING_URI"
MLFLOW_EXPERIMENT_NAME = "MLFLOW_EXPERIMENT_NAME"
MLFLOW_EXPERIMENT_ID = "MLFLOW_EXPERIMENT_ID"
JPY_SESSION_NAME = "JPY_SESSION_NAME"
UI_TOKEN = "LITETRACK_UI_TOKEN"
PUSH_ON_END = "LITETRACK_PUSH_ON_END"
REGISTRY_URI = "LITETRACK_REGISTRY_URI"
RUN_ID = "LITETRACK_RUN_ID"
SHELL = "SHELL"
PAGER = "LITETRACK_PAGER"
SYSTEM_PAGER = "PAGER"
MLFLOW_RUN_ID = "MLFLOW_RUN_ID"
TRUNCATE_LONG_VALUES = "MLFLOW_TRUNCATE_LONG_VALUES"


# A NamedTuple, not a dataclass: dataclasses imports inspect (~8 ms) and this
# module is imported by `import litetrack`.
class Variable(NamedTuple):
    """One environment variable: its name, kind (``flag`` or ``text``), default and meaning."""

    name: str
    kind: str
    default: str
    meaning: str


VARIABLES: tuple[Variable, ...] = (
    Variable(
        STORE,
        "text",
        "the user data folder",
        "The store: a folder path or file: URI, used when no tracking URI is set in code.",
    ),
    Variable(
        MLFLOW_TRACKING_URI,
        "text",
        "unset",
        "Honoured as the store when LITETRACK_STORE is unset and it names a local path "
        "or file: URI (so MLflow-configured shells keep working).",
    ),
    Variable(
        FSYNC,
        "flag",
        "off",
        "fsync every document and stored object before it is renamed into place: "
        "survives power loss, at a few milliseconds per write.",
    ),
    Variable(
        INDEX,
        "flag",
        "on",
        "Use the SQLite search index and the registry search cache; off makes every search scan "
        "the documents.",
    ),
    Variable(
        CAPTURE_SOURCE,
        "flag",
        "on",
        "Record each fluent run's source (entry point, git commit, diff).",
    ),
    Variable(
        CAPTURE_ENV,
        "flag",
        "on",
        "Record each fluent run's Python environment (interpreter and packages).",
    ),
    Variable(
        MLFLOW_EXPERIMENT_ID,
        "text",
        "unset",
        "Experiment of new fluent runs when none was set in code (wins over the name).",
    ),
    Variable(
        MLFLOW_EXPERIMENT_NAME,
        "text",
        "unset",
        "Experiment (created if missing) of new fluent runs when none was set in code.",
    ),
    Variable(
        SPARK_LOAD_LOG,
        "text",
        "unset",
        "Testing aid: a file to which each Spark worker appends a line when it loads a model.",
    ),
    Variable(
        RUN_ID,
        "text",
        "unset",
        "A run handed to this process (by `python -m litetrack run`): the first start_run() "
        "without a run id resumes it; the variable is then removed.",
    ),
    Variable(
        MLFLOW_RUN_ID,
        "text",
        "unset",
        "MLflow's name for LITETRACK_RUN_ID (set by `mlflow run`), honoured the same way.",
    ),
    Variable(
        TRUNCATE_LONG_VALUES,
        "flag",
        "off",
        "On: param and tag values over 6,000 / 8,000 characters are cut to the limit with a "
        "warning (MLflow's behaviour, on by default there); off: they are refused.",
    ),
    Variable(
        UI_TOKEN,
        "text",
        "a fresh random token",
        "Access token of `python -m litetrack ui` on a non-loopback host (16 characters or more).",
    ),
    Variable(
        PUSH_ON_END,
        "text",
        "unset",
        "Name of a remote (`litetrack remote add`) every run is pushed to when it ends "
        "(cluster workers); a failed push only logs a warning.",
    ),
    Variable(
        REGISTRY_URI,
        "text",
        "unset (the store's own registry)",
        "A shared model registry on a remote (s3://, gs://, az:// or file:// URI) used by "
        "every registry call when set_registry_uri() was not called.",
    ),
    Variable(
        PAGER,
        "text",
        "PAGER, else less -FRX",
        "The pager for long CLI output on a terminal (`cat` or empty: no pager).",
    ),
    Variable(
        SYSTEM_PAGER,
        "text",
        "less -FRX",
        "Read, not set: the system pager, used when LITETRACK_PAGER is unset.",
    ),
    Variable(
        SHELL,
        "text",
        "bash",
        "Read, not set: the shell that runs a project's `.sh` entry point (as MLflow does).",
    ),
    Variable(
        JPY_SESSION_NAME,
        "text",
        "set by Jupyter",
        "Read, not set: the notebook path recorded as a run's source in Jupyter Server 2+.",
    ),
)

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def text(name: str) -> str | None:
    """The value of variable ``name``; None when it is unset or empty."""
    value = os.environ.get(name)
    return value if value else None


def flag(name: str, default: bool) -> bool:
    """The switch ``name`` under the one truthiness rule (see the module docstring).

    Raises :class:`~litetrack.errors.InvalidArgument` for a value that is
    neither a true nor a false word.
    """
    raw = os.environ.get(name, "")
    value = raw.strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidArgument(
        f"environment variable {name}={raw!r} is not a switch value; "
        "expected one of 1, true, yes, on (on) or 0, false, no, off (off)",
        name=name,
        value=raw,
    )


def store_uri() -> str | None:
    """``LITETRACK_STORE``: the store path or ``file:`` URI, None when unset."""
    return text(STORE)


def mlflow_tracking_uri() -> str | None:
    """``MLFLOW_TRACKING_URI`` as set (the caller decides whether it is local)."""
    return text(MLFLOW_TRACKING_URI)


def fsync_enabled() -> bool:
    """``LITETRACK_FSYNC``: fsync documents and objects before renaming them (default off)."""
    return flag(FSYNC, False)


def index_enabled() -> bool:
    """``LITETRACK_INDEX``: use the SQLite search index and the registry search cache (default on)."""
    return flag(INDEX, True)


def capture_source_enabled() -> bool:
    """``LITETRACK_CAPTURE_SOURCE``: fluent runs record their source (default on)."""
    return flag(CAPTURE_SOURCE, True)


def capture_env_enabled() -> bool:
    """``LITETRACK_CAPTURE_ENV``: fluent runs record their Python environment (default on)."""
    return flag(CAPTURE_ENV, True)


def mlflow_experiment_id() -> str | None:
    """``MLFLOW_EXPERIMENT_ID``, None when unset."""
    return text(MLFLOW_EXPERIMENT_ID)


def mlflow_experiment_name() -> str | None:
    """``MLFLOW_EXPERIMENT_NAME``, None when unset."""
    return text(MLFLOW_EXPERIMENT_NAME)


def spark_load_log() -> str | None:
    """``LITETRACK_SPARK_LOAD_LOG``: the file Spark workers note model loads in, if set."""
    return text(SPARK_LOAD_LOG)


def jupyter_session_name() -> str | None:
    """``JPY_SESSION_NAME`` (set by Jupyter Server 2+): the running notebook's path."""
    return text(JPY_SESSION_NAME)


def truncate_long_values() -> bool:
    """``MLFLOW_TRUNCATE_LONG_VALUES``: cut over-long param/tag values instead of refusing them."""
    return flag(TRUNCATE_LONG_VALUES, False)


def ui_token() -> str | None:
    """``LITETRACK_UI_TOKEN``: the web UI's access token on a non-loopback host, if chosen."""
    return text(UI_TOKEN)


def push_on_end() -> str | None:
    """``LITETRACK_PUSH_ON_END``: the remote every run is pushed to when it ends, if set."""
    return text(PUSH_ON_END)


def registry_uri() -> str | None:
    """``LITETRACK_REGISTRY_URI``: the URI of a shared registry on a remote, if set."""
    return text(REGISTRY_URI)


def take_handed_run_id() -> str | None:
    """The run in ``LITETRACK_RUN_ID`` (else ``MLFLOW_RUN_ID``), removing both from the environment.

    Removed, as MLflow does, so that the handed run is resumed once: a later
    ``start_run()`` in the same process opens a new run.
    """
    handed = None
    for name in (RUN_ID, MLFLOW_RUN_ID):
        value = os.environ.pop(name, None)
        if value and handed is None:
            handed = value.strip() or None
    return handed


def user_shell() -> str:
    """``SHELL``, else ``bash``: the shell for a project's ``.sh`` entry point."""
    return text(SHELL) or "bash"


def pager() -> str:
    """``LITETRACK_PAGER``, else ``PAGER``, else ``less -FRX``: the CLI's pager command."""
    return (text(PAGER) or text(SYSTEM_PAGER) or "less -FRX").strip()
