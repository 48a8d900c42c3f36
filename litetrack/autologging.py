"""``litetrack.autolog()``: MLflow's generic autolog, which turns on every flavour's autolog.

A flavour is turned on when its library is installed (imported or importable),
as MLflow does; libraries that are missing are skipped silently. Each
flavour's ``autolog`` does the work (:mod:`litetrack.sklearn`,
:mod:`litetrack.xgboost`).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from typing import Any

__all__ = ["FLAVOURS", "autolog"]

logger = logging.getLogger(__name__)

#: library module -> litetrack flavour module with an ``autolog`` function.
FLAVOURS: dict[str, str] = {
    "sklearn": "litetrack.sklearn",
    "xgboost": "litetrack.xgboost",
}


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    extra_tags: dict[str, Any] | None = None,
    **_: Any,
) -> list[str]:
    """Turn on (or with ``disable=True`` off) autologging for every installed flavour.

    Takes MLflow's common autolog arguments and passes them on; returns the
    names of the libraries whose autolog was configured. Arguments MLflow
    accepts but litetrack's flavours do not use (``exclusive``,
    ``disable_for_unsupported_versions``) are accepted and ignored.
    """
    done = []
    for library, flavour in FLAVOURS.items():
        if importlib.util.find_spec(library) is None:
            continue
        module = importlib.import_module(flavour)
        module.autolog(
            log_input_examples=log_input_examples,
            log_model_signatures=log_model_signatures,
            log_models=log_models,
            log_datasets=log_datasets,
            disable=disable,
            silent=silent,
            extra_tags=extra_tags,
        )
        done.append(library)
    if not silent:
        state = "disabled" if disable else "enabled"
        logger.info("autolog %s for: %s", state, ", ".join(done) or "none")
    return done
