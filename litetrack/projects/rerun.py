"""Re-running a recorded run from what was captured about it.

The code comes from the run's captured source: the git commit (cloned from
the recorded repository) plus the recorded uncommitted diff, or else the
captured script content. The environment is rebuilt from the run's captured
packages (a pinned list: pip-sync, cached as any project environment), or is
this interpreter with ``env_manager="local"``. A project run is run again
with its entry point's command and its parameters (each overridable); a
plain script run is run as ``python SCRIPT`` (overrides become
``--key value``). The new run carries the tag ``litetrack.rerun_of``.
Whatever is missing to rebuild is named in the error.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from litetrack.client import Client
from litetrack.errors import InvalidState, NotFound
from litetrack.projects.env import ProjectEnv, local_env, virtualenv_env
from litetrack.projects.params import check_parameters, render_command
from litetrack.projects.runner import (
    TAG_ENTRY_POINT,
    TAG_ENV,
    TAG_RERUN_OF,
    SubmittedRun,
    clone,
    experiment_id_for,
    finish,
    launch,
    run_git,
)
from litetrack.projects.spec import EntryPoint, Parameter

__all__ = ["rerun"]

_log = logging.getLogger(__name__)
# Provided to the command by the runner (the shim), or by the virtualenv itself.
_NOT_REINSTALLED = frozenset({"litetrack", "pip", "setuptools", "wheel"})


def _restore_code(client: Client, run_id: str, source: dict[str, Any]) -> tuple[str, Path]:
    """A temporary folder with the run's code; (temp root, folder to run in)."""
    from litetrack.capture import load_diff, load_script

    project = source.get("project") or {}
    commit = source.get("git_commit")
    root = source.get("git_root")
    repo = root if root and os.path.isdir(root) else source.get("git_repo_url")
    if commit and repo:
        temp, _ = clone(repo, commit, f"re-run of {run_id}")
        checkout = Path(temp, "src")
        diff = load_diff(run_id, client.store)
        if diff:
            patch = Path(temp, "recorded.diff")
            patch.write_bytes(diff)
            run_git(
                str(checkout),
                "apply",
                "--whitespace=nowarn",
                str(patch),
                what=f"re-run of {run_id}: applying its recorded diff on {commit}",
            )
        if project:
            folder = checkout / (project.get("subdir") or "")
            name = project.get("script")
        else:
            entry = source.get("entry_point") or ""
            rel = os.path.relpath(os.path.dirname(entry), root) if root and entry else "."
            folder, name = checkout / rel, os.path.basename(entry)
        if folder.is_dir() and (not name or (folder / name).is_file()):
            return temp, folder
        # Untracked files are in neither the commit nor `git diff HEAD`.
        shutil.rmtree(temp, ignore_errors=True)
        if source.get("script_digest") is None:
            raise NotFound(
                f"Run {run_id} cannot be re-run: {folder.relative_to(checkout)}/{name or ''} is "
                f"not in commit {commit} nor in the recorded diff (it was untracked), and no "
                "script content was captured"
            )
        _log.warning(
            "run %s: its code is not in commit %s (untracked); re-running its captured script",
            run_id,
            commit,
        )
    script = load_script(run_id, client.store)
    name = project.get("script") if project else os.path.basename(source.get("entry_point") or "")
    if script is not None and name:
        temp = tempfile.mkdtemp(prefix="litetrack-rerun-")
        folder = Path(temp, "src")
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(script)
        return temp, folder
    if commit:
        raise NotFound(
            f"Run {run_id} cannot be re-run: it ran git commit {commit} of "
            f"{root or source.get('git_repo_url') or 'an unrecorded repository'}, which is not "
            "reachable here, and no script content was captured"
        )
    raise NotFound(
        f"Run {run_id} cannot be re-run: no source was captured (neither a git commit nor the "
        "script's content; it was started with capture_source=False, LITETRACK_CAPTURE_SOURCE=0, "
        "or from an interactive session)"
    )


def _entry(
    run_id: str, source: dict[str, Any], overrides: Mapping[str, Any]
) -> tuple[EntryPoint, dict[str, Any]]:
    project = source.get("project") or {}
    if project:
        types = project.get("parameter_types") or {}
        recorded = {**(project.get("parameters") or {})}
        params = {k: Parameter(k, t, recorded.get(k)) for k, t in types.items()}
        entry = EntryPoint(
            project.get("entry_point") or "main", project["command_template"], params
        )
        given = {**recorded, **(project.get("extra_parameters") or {}), **overrides}
        return entry, given
    script = os.path.basename(source.get("entry_point") or "")
    if not script.endswith((".py", ".sh")):
        raise NotFound(f"Run {run_id} cannot be re-run: its entry point {script!r} is not a script")
    import shlex

    runner = "python" if script.endswith(".py") else "bash"
    return EntryPoint(script, f"{runner} {shlex.quote(script)}"), dict(overrides)


def _environment(
    client: Client, run_id: str, env_manager: str, find_links: str | None, no_index: bool
) -> ProjectEnv:
    from litetrack.capture import load_environment

    if env_manager == "local":
        return local_env()
    if env_manager != "virtualenv":
        from litetrack.errors import InvalidArgument

        raise InvalidArgument(
            f"env_manager {env_manager!r} is not supported; allowed: local, virtualenv"
        )
    env = load_environment(run_id, client.store)
    if env is None:
        raise NotFound(
            f"Run {run_id} cannot be re-run in its environment: no environment was captured "
            "(capture_environment=False or LITETRACK_CAPTURE_ENV=0); re-run it with "
            "--env-manager local to use this interpreter"
        )
    packages = env.get("packages") or {}
    pinned = [f"{k}=={v}" for k, v in sorted(packages.items()) if k not in _NOT_REINSTALLED]
    python = (env.get("python") or {}).get("version")
    try:
        return virtualenv_env(
            pinned, python, resolve=False, find_links=find_links, no_index=no_index
        )
    except InvalidState as exc:
        missing = getattr(exc, "missing", None)
        if missing:
            raise InvalidState(
                f"Run {run_id} cannot be re-run in its environment: these captured packages "
                f"cannot be installed: {', '.join(missing)}"
                + (f" (looked in {find_links})" if find_links else "")
                + "; re-run with --env-manager local, or give --find-links to a folder with them",
                missing=missing,
            ) from exc
        raise


def rerun(
    run_id: str,
    parameters: Mapping[str, Any] | None = None,
    env_manager: str = "virtualenv",
    experiment_name: str | None = None,
    run_name: str | None = None,
    synchronous: bool = True,
    *,
    tracking_uri: str | None = None,
    find_links: str | None = None,
    no_index: bool = False,
) -> SubmittedRun:
    """Run again what run ``run_id`` ran, as a new run tagged ``litetrack.rerun_of``.

    ``parameters`` override the recorded ones. The new run goes to the same
    experiment unless ``experiment_name`` is given. Returns the
    :class:`~litetrack.projects.runner.SubmittedRun` (ended when
    ``synchronous``; a run that did not finish raises ``ExecutionException``).
    Raises :class:`NotFound` when the source or environment needed was not
    captured, :class:`InvalidState` when it cannot be rebuilt (a package that
    cannot be installed, a diff that does not apply), each naming what is
    missing.
    """
    from litetrack.validation import validate_run_id

    client = Client(tracking_uri)
    run_id = validate_run_id(run_id)
    original = client.get_run(run_id)
    doc = client.store.runs.read(run_id)
    source = dict(doc.get("source") or {})
    if not source:
        raise NotFound(
            f"Run {run_id} cannot be re-run: no source was captured (capture_source=False, "
            "LITETRACK_CAPTURE_SOURCE=0, or a run made through Client.create_run)"
        )
    entry, given = _entry(run_id, source, dict(parameters or {}))
    temp, folder = _restore_code(client, run_id, source)
    try:
        declared, extra = check_parameters(entry, given)
        command = render_command(entry, declared, extra)
        env = _environment(client, run_id, env_manager, find_links, no_index)
        exp_id = (
            experiment_id_for(client, experiment_name, None)
            if experiment_name
            else original.info.experiment_id
        )
        new_source = {**source, "rerun_of": run_id}
        if source.get("project"):
            new_source["project"] = {
                **source["project"],
                "command": command,
                "parameters": declared,
                "extra_parameters": extra,
                "env_manager": env_manager,
            }
        tags = {
            TAG_RERUN_OF: run_id,
            "mlflow.source.type": "PROJECT",
            "mlflow.source.name": str(original.data.tags.get("mlflow.source.name", "")) or run_id,
            TAG_ENTRY_POINT: entry.name,
            TAG_ENV: env_manager,
        }
        if source.get("git_commit"):
            tags["mlflow.source.git.commit"] = source["git_commit"]
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    submitted = launch(
        client,
        folder,
        command,
        env,
        exp_id,
        params={**declared, **extra},
        source=new_source,
        tags=tags,
        run_name=run_name,
        on_done=lambda: shutil.rmtree(temp, ignore_errors=True),
    )
    if synchronous:
        finish(submitted)
    return submitted
