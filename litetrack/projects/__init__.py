"""Projects: run a folder or git repository with an ``MLproject`` file as a tracked run,
and re-run any recorded run from what was captured about it.

``run()`` is MLflow's ``mlflow.projects.run`` (local backend, ``local`` and
``virtualenv`` environment managers); ``rerun()`` has no MLflow counterpart.
Both return a :class:`SubmittedRun` with ``run_id``, ``wait()``,
``get_status()`` and ``cancel()``. See ``docs/projects.md``.
"""

from __future__ import annotations

from litetrack.projects.rerun import rerun
from litetrack.projects.runner import ExecutionException, SubmittedRun, run
from litetrack.projects.spec import Project, load_project

__all__ = ["ExecutionException", "Project", "SubmittedRun", "load_project", "rerun", "run"]
