"""What the autolog integrations share: reversible patches, the run to log into, safety.

* :func:`patch` replaces an attribute of a class or module and remembers the
  original; :func:`revert` puts every original of an integration back
  (``autolog(disable=True)``).
* :func:`outermost` tells whether this call is the outermost patched call of
  the thread: a pipeline's ``fit`` calls its steps' ``fit``, an xgboost
  wrapper's ``fit`` calls ``xgboost.train``; only the outermost logs.
* :func:`autolog_run` yields the active run, or starts one and ends it after
  training (FAILED when training raises), as MLflow does.
* :func:`safely` runs a logging step and turns its errors into a warning:
  autologging must never break training.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from litetrack import fluent
from litetrack.data import from_numpy, from_pandas, input_entry, log_inputs
from litetrack.store.core import current_store

__all__ = ["autolog_run", "outermost", "patch", "revert", "safely"]

_log = logging.getLogger(__name__)
_MISSING = object()
# integration -> [(owner, attribute, original value in owner.__dict__ or _MISSING)]
_patches: dict[str, list[tuple[Any, str, Any]]] = {}
#: integration -> its autolog() options while enabled.
configs: dict[str, dict[str, Any]] = {}
_local = threading.local()


def patch(integration: str, owner: Any, name: str, replacement: Any) -> None:
    """Set ``owner.name = replacement``, remembering the original for :func:`revert`."""
    original = owner.__dict__.get(name, _MISSING) if hasattr(owner, "__dict__") else _MISSING
    _patches.setdefault(integration, []).append((owner, name, original))
    setattr(owner, name, replacement)


def revert(integration: str) -> None:
    """Undo every patch of ``integration`` (latest first); forget its config."""
    for owner, name, original in reversed(_patches.pop(integration, [])):
        if original is _MISSING:
            try:
                delattr(owner, name)
            except AttributeError:
                pass
        else:
            setattr(owner, name, original)
    configs.pop(integration, None)


@contextmanager
def outermost() -> Iterator[bool]:
    """Yield True for the outermost patched call in this thread, False for nested ones."""
    depth = getattr(_local, "depth", 0)
    _local.depth = depth + 1
    try:
        yield depth == 0
    finally:
        _local.depth = depth


@contextmanager
def autolog_run(integration: str, extra_tags: dict[str, Any] | None = None) -> Iterator[str]:
    """The id of the run to log into: the active one, else a new one ended afterwards.

    As in MLflow, ``mlflow.autologging`` and ``extra_tags`` mark the runs autologging
    creates; a run the user started keeps only the tags the user gave it.
    """
    active = fluent.active_run()
    if active is not None:
        yield active.run_id
        return
    run = fluent.start_run(tags={"mlflow.autologging": integration, **(extra_tags or {})})
    try:
        yield run.run_id
    except BaseException:
        fluent.end_run("FAILED")
        raise
    fluent.end_run()


def safely(step: Callable[[], Any], integration: str, what: str = "logging") -> Any:
    """Run ``step``; on error warn (or log, when silent) and return None."""
    try:
        return step()
    except Exception as exc:  # noqa: BLE001 - autologging must not break training
        silent = configs.get(integration, {}).get("silent", False)
        message = f"litetrack {integration} autolog: {what} failed: {type(exc).__name__}: {exc}"
        if silent:
            _log.debug(message)
        else:
            warnings.warn(message, stacklevel=3)
        return None


def truncated_params(params: dict[str, Any], limit: int = 500) -> dict[str, str]:
    """Params as strings, long values cut (MLflow's autolog does the same)."""
    out = {}
    for key, value in params.items():
        text = value if isinstance(value, str) else str(value)
        out[str(key)[:250]] = text if len(text) <= limit else text[: limit - 3] + "..."
    return out


def head(data: Any, n: int = 5) -> Any:
    """The first ``n`` rows of training data (DataFrame, array, sparse matrix, list), or None."""
    try:
        if hasattr(data, "iloc"):
            return data.iloc[:n].copy()
        if type(data).__module__.startswith("scipy.sparse"):
            return data.tocsr()[:n]
        if (
            hasattr(data, "shape")
            and hasattr(data, "__getitem__")
            and len(getattr(data, "shape", ())) >= 1
        ):
            return data[:n].copy()
        if isinstance(data, list):
            return list(data[:n])
    except Exception:  # noqa: BLE001 - an example is optional
        return None
    return None


def log_dataset(
    run_id: str, features: Any, targets: Any, context: str, name: str = "dataset"
) -> None:
    """Record training (or evaluation) data as an input of the run, as MLflow's autolog does
    with ``log_datasets=True``: a DataFrame as :func:`litetrack.data.from_pandas`, arrays as
    :func:`litetrack.data.from_numpy`, tagged with ``context`` (``train``, ``eval``). Sparse
    matrices and other kinds are skipped."""
    if features is None or hasattr(features, "tocsr"):
        return
    if type(features).__module__.startswith("pandas") and hasattr(features, "columns"):
        dataset: Any = from_pandas(features, name=name)
    else:
        import numpy as np

        array = np.asarray(features)
        if array.dtype == object or array.ndim == 0:
            return
        dataset = from_numpy(array, targets=None if targets is None else np.asarray(targets),
                             name=name)
    log_inputs(current_store(), run_id, [input_entry(dataset, context)])


def all_subclasses(root: type) -> list[type]:
    """``root`` and every class deriving from it (transitively), each once."""
    seen: list[type] = []
    todo = [root]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.append(cls)
        todo.extend(cls.__subclasses__())
    return seen
