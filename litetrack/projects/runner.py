"""Running a project's command as a tracked run.

The run is created before the command starts and handed to it through
``LITETRACK_RUN_ID`` and ``MLFLOW_RUN_ID`` (with ``LITETRACK_STORE`` and
``MLFLOW_EXPERIMENT_ID``), so ``start_run()`` inside the entry point
continues it. The run records the project's source (folder or repository,
commit, uncommitted diff, entry point, command), the parameters and the
environment the command runs in. The command's stdout and stderr are shown
live and kept as the artifact ``project/output.log``. When it ends: exit 0 ->
FINISHED (unless the command ended the run itself), a signal (or the shell's
130/137/143 for INT/KILL/TERM) or :meth:`SubmittedRun.cancel` (Ctrl-C) ->
KILLED, another exit code -> FAILED; the exit code is the tag
``litetrack.project.exit_code``.
"""

from __future__ import annotations

import codecs
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from litetrack import settings
from litetrack.client import Client
from litetrack.entities import RunStatus
from litetrack.errors import InvalidArgument, InvalidState, LitetrackError, NotFound
from litetrack.projects.env import ENV_MANAGERS, ProjectEnv, local_env, virtualenv_env
from litetrack.projects.params import check_parameters, render_command
from litetrack.projects.spec import EntryPoint, load_project

__all__ = [
    "Checkout",
    "ExecutionException",
    "SubmittedRun",
    "clone",
    "launch",
    "open_source",
    "run",
    "run_git",
]

_log = logging.getLogger(__name__)

#: Variables the command finds its run in (MLflow's name and ours).
RUN_ID_VARS = (settings.RUN_ID, settings.MLFLOW_RUN_ID)
TAG_EXIT_CODE = "litetrack.project.exit_code"
TAG_ENTRY_POINT = "mlflow.project.entryPoint"
TAG_ENV = "mlflow.project.env"
TAG_BACKEND = "mlflow.project.backend"
TAG_RERUN_OF = "litetrack.rerun_of"
OUTPUT_ARTIFACT = "project"
_GIT_SCHEMES = ("http://", "https://", "ssh://", "git://", "git@", "file://")
# A shell reports a child killed by signal N as exit 128+N (when it did not exec
# the command itself): INT, TERM and KILL that way still mean KILLED.
_SHELL_KILLED = frozenset(128 + s for s in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL))
# After cancel's SIGTERM, how long the command gets to exit before SIGKILL.
_TERM_GRACE = 5.0


class ExecutionException(LitetrackError, RuntimeError):
    """A project's run did not finish (MLflow's ``mlflow.projects.ExecutionException``)."""


# -- where the code comes from ------------------------------------------------------


@dataclass
class Checkout:
    """A project's code on disk and what to record about its origin."""

    folder: Path
    uri: str
    git: dict[str, Any] = field(default_factory=dict)
    subdir: str = ""
    temp: str | None = None

    def cleanup(self) -> None:
        """Remove the temporary clone, if this checkout made one."""
        if self.temp:
            shutil.rmtree(self.temp, ignore_errors=True)
            self.temp = None


def run_git(cwd: str | None, *args: str, what: str) -> str:
    """Run git in ``cwd``; its stdout, or :class:`InvalidState` saying ``what`` failed and why."""
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise InvalidState(f"{what} needs git, which could not be run: {exc}") from exc
    if proc.returncode != 0:
        raise InvalidState(f"{what} failed: {proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout.decode("utf-8", "replace").strip()


def clone(repo: str, commit: str | None, what: str) -> tuple[str, str]:
    """Clone ``repo`` into a new temporary folder at ``commit``; (folder, HEAD sha)."""
    temp = tempfile.mkdtemp(prefix="litetrack-project-")
    dest = os.path.join(temp, "src")
    try:
        run_git(
            None, "clone", "--quiet", "--no-checkout", repo, dest, what=f"{what}: git clone {repo}"
        )
        if commit:
            run_git(
                dest, "checkout", "--quiet", commit, what=f"{what}: version {commit!r} of {repo}"
            )
        else:
            run_git(dest, "checkout", "--quiet", what=f"{what}: checkout of {repo}")
        head = run_git(dest, "rev-parse", "HEAD", what=f"{what}: git rev-parse")
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return temp, head


def open_source(uri: str, version: str | None = None) -> Checkout:
    """Find the project at ``uri`` (a folder, or a git repository path/URL; ``#sub/dir`` picks
    a folder inside it) and, for ``version`` or a remote repository, clone it at that commit.

    Raises :class:`NotFound` for a folder that does not exist and
    :class:`InvalidState` when git cannot clone or check out ``version``.
    """
    from litetrack.source import git_state, redact_url

    base, _, subdir = uri.partition("#")
    subdir = subdir.strip("/")
    is_url = base.startswith(_GIT_SCHEMES)
    if not is_url and not os.path.exists(base):
        raise NotFound(
            f"project {uri!r}: no such folder, and not a git URL ({', '.join(_GIT_SCHEMES)})"
        )
    if not is_url and version is None:
        folder = Path(base, subdir).resolve()
        if not folder.is_dir():
            raise NotFound(f"project {uri!r}: {folder} is not a folder")
        git = git_state(str(folder))
        sub = os.path.relpath(folder, git["git_root"]) if git.get("git_root") else ""
        return Checkout(folder, str(folder), git, "" if sub == "." else sub)
    repo = base if is_url else os.path.abspath(base)
    temp, head = clone(repo, version, f"project {uri!r}")
    folder = Path(temp, "src", subdir)
    if not folder.is_dir():
        shutil.rmtree(temp, ignore_errors=True)
        raise NotFound(f"project {uri!r}: no folder {subdir!r} in the repository at {head}")
    git = {
        "git_root": None if is_url else repo,
        "git_commit": head,
        "git_repo_url": redact_url(repo) if is_url else repo,
        "git_dirty": False,
    }
    return Checkout(folder, f"{repo}#{subdir}" if subdir else repo, git, subdir, temp)


# -- the submitted run --------------------------------------------------------------


class SubmittedRun:
    """A project's command running (or done) as run ``run_id`` (MLflow's ``SubmittedRun``)."""

    def __init__(
        self,
        client: Client,
        run_id: str,
        proc: subprocess.Popen[bytes],
        command: str,
        log_path: Path,
        on_done: Callable[[], None] | None = None,
    ) -> None:
        self._client = client
        self.run_id = run_id
        self.command = command
        self._proc = proc
        _live.add(self)
        self._log_path = log_path
        self._on_done = on_done
        self._cancelled = False
        self._done = threading.Event()
        self._lock = threading.Lock()
        self.exit_code: int | None = None
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in _finish
        self._pumps = [
            threading.Thread(target=self._pump, args=(proc.stdout, sys.stdout), daemon=True),
            threading.Thread(target=self._pump, args=(proc.stderr, sys.stderr), daemon=True),
        ]
        for t in self._pumps:
            t.start()
        self._monitor = threading.Thread(
            target=self._watch, daemon=True, name=f"litetrack-{run_id}"
        )
        self._monitor.start()

    def _pump(self, pipe: IO[bytes] | None, out: Any) -> None:
        if pipe is None:
            return
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        fd = pipe.fileno()
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            with self._lock:
                self._log.write(chunk)
                self._log.flush()
            try:
                out.write(decoder.decode(chunk))
                out.flush()
            except (OSError, ValueError):
                pass  # a closed terminal must not stop the log
        pipe.close()

    def _watch(self) -> None:
        rc = self._proc.wait()
        for t in self._pumps:
            t.join()
        try:
            self._finish(rc)
        finally:
            self._done.set()

    def _finish(self, rc: int) -> None:
        self.exit_code = rc
        self._log.close()
        client = self._client
        try:
            client.log_artifact(self.run_id, self._log_path, OUTPUT_ARTIFACT)
        except LitetrackError:
            _log.warning("could not keep the output of run %s", self.run_id, exc_info=True)
        client.set_tag(self.run_id, TAG_EXIT_CODE, str(rc))
        # The stored status, not the one derived for readers: a command that
        # exits 0 without ending the run leaves it RUNNING under a dead pid,
        # which readers would report as KILLED.
        status = client.store.runs.read(self.run_id).get("status")
        if self._cancelled or rc < 0 or rc in _SHELL_KILLED:
            client.set_terminated(self.run_id, RunStatus.KILLED)
        elif rc != 0:
            client.set_terminated(self.run_id, RunStatus.FAILED)
        elif status not in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED):
            # The command did not end the run itself: its success ends it.
            client.set_terminated(self.run_id, RunStatus.FINISHED)
        client.store.runs.release(self.run_id)
        _live.discard(self)
        if self._on_done is not None:
            self._on_done()

    def wait(self) -> bool:
        """Block until the command ends; True when the run FINISHED.

        Ctrl-C while waiting cancels the command (the run ends KILLED) and
        re-raises ``KeyboardInterrupt``.
        """
        try:
            while not self._done.wait(0.2):
                pass
        except KeyboardInterrupt:
            self.cancel()
            raise
        return self.get_status() == RunStatus.FINISHED

    def get_status(self) -> str:
        """The run's status: RUNNING while the command runs, then FINISHED, FAILED or KILLED."""
        if not self._done.is_set():
            return RunStatus.RUNNING
        return str(self._client.get_run(self.run_id).info.status)

    def cancel(self) -> None:
        """Stop the command (SIGTERM to its group, SIGKILL 5 s later): the run ends KILLED."""
        self._cancelled = True
        if self._proc.poll() is None:
            _signal_group(self._proc, signal.SIGTERM)
            try:
                self._proc.wait(_TERM_GRACE)
            except subprocess.TimeoutExpired:
                _signal_group(self._proc, signal.SIGKILL)
        self._done.wait()

    def __repr__(self) -> str:
        return f"<SubmittedRun run_id={self.run_id!r} status={self.get_status()}>"


#: Commands started by this process and not yet ended. A Ctrl-C can land between
#: the start of a command and the moment its SubmittedRun reaches the caller; the
#: CLI then cancels these, so no command outlives the launcher unnoticed.
_live: weakref.WeakSet[SubmittedRun] = weakref.WeakSet()


def live_submissions() -> list[SubmittedRun]:
    """The commands this process started that have not ended yet."""
    return list(_live)


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


# -- creating the run and starting the command --------------------------------------------


def experiment_id_for(
    client: Client, experiment_name: str | None, experiment_id: str | None
) -> str:
    """The experiment to run in: by id, by name (created if missing), else from the environment."""
    from litetrack.errors import ExperimentAlreadyExists

    if experiment_name is not None and experiment_id is not None:
        raise InvalidArgument("give experiment_name or experiment_id, not both")
    if experiment_id is not None:
        return client.get_experiment(str(experiment_id)).experiment_id
    name = experiment_name or settings.mlflow_experiment_name()
    if name:
        exp = client.get_experiment_by_name(name)
        if exp is not None:
            return exp.experiment_id
        try:
            return client.create_experiment(name)
        except ExperimentAlreadyExists:
            found = client.get_experiment_by_name(name)
            assert found is not None
            return found.experiment_id
    return settings.mlflow_experiment_id() or "0"


def launch(
    client: Client,
    folder: Path,
    command: str,
    env: ProjectEnv,
    experiment_id: str,
    *,
    params: Mapping[str, str],
    source: dict[str, Any],
    tags: Mapping[str, str],
    run_name: str | None = None,
    on_done: Callable[[], None] | None = None,
) -> SubmittedRun:
    """Create the run (tags, params, source, environment) and start ``command`` in ``folder``."""
    from litetrack.capture import environment_summary
    from litetrack.entities import Param
    from litetrack.store.runs import USER_TAG, current_user

    created = client.create_run(
        experiment_id, tags={USER_TAG: current_user(), **tags}, run_name=run_name
    )
    run_id = created.info.run_id
    if params:
        client.log_batch(run_id, params=[Param(k, v) for k, v in params.items()])
    writer = client.store.runs.writer(run_id)
    writer.log_records(
        [
            {"environment": environment_summary(client.store.objects, env.environment)},
            {"source": source},
        ]
    )
    client.store.runs.release(run_id)
    variables = env.command_environment()
    variables.update({name: run_id for name in RUN_ID_VARS})
    variables["LITETRACK_STORE"] = str(client.store.root)
    variables["MLFLOW_EXPERIMENT_ID"] = experiment_id
    variables.pop("MLFLOW_EXPERIMENT_NAME", None)
    # Python pipes are block-buffered: unbuffered, the output is live.
    variables["PYTHONUNBUFFERED"] = "1"
    shell = shutil.which("bash") or "/bin/sh"
    log_dir = tempfile.mkdtemp(prefix="litetrack-output-")
    log_path = Path(log_dir, "output.log")

    def done() -> None:
        shutil.rmtree(log_dir, ignore_errors=True)
        if on_done is not None:
            on_done()

    _log.info("run %s: %s (in %s)", run_id, command, folder)
    try:
        proc = subprocess.Popen(
            [shell, "-c", command],
            cwd=folder,
            env=variables,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        client.set_terminated(run_id, RunStatus.FAILED)
        done()
        raise ExecutionException(f"could not start {command!r} in {folder}: {exc}") from exc
    try:
        return SubmittedRun(client, run_id, proc, command, log_path, done)
    except BaseException:
        # Interrupted before the command had a watcher (Ctrl-C at this very
        # moment): stop it here, or it would run on with its run left RUNNING.
        _signal_group(proc, signal.SIGKILL)
        proc.wait()
        if client.store.runs.read(run_id).get("status") == RunStatus.RUNNING:
            client.set_terminated(run_id, RunStatus.KILLED)
        raise


def source_record(
    checkout: Checkout,
    entry: EntryPoint,
    command: str,
    declared: Mapping[str, str],
    extra: Mapping[str, str],
    env_manager: str,
    objects: Any,
    script: bytes | None,
) -> dict[str, Any]:
    """The run's ``source`` summary (:func:`litetrack.capture.source_summary`) plus ``project``."""
    from litetrack.capture import source_summary
    from litetrack.source import SourceInfo

    git = checkout.git
    info = SourceInfo(
        entry_point=checkout.uri,
        source_type="PROJECT",
        content=script,
        git_root=git.get("git_root"),
        git_commit=git.get("git_commit"),
        git_branch=git.get("git_branch"),
        git_repo_url=git.get("git_repo_url"),
        git_dirty=git.get("git_dirty"),
        git_diff=git.get("git_diff"),
    )
    summary = source_summary(objects, info)
    summary["project"] = {
        "uri": checkout.uri,
        "subdir": checkout.subdir,
        "entry_point": entry.name,
        "command_template": entry.command,
        "command": command,
        "parameter_types": {k: p.type for k, p in entry.parameters.items()},
        "parameters": dict(declared),
        "extra_parameters": dict(extra),
        "env_manager": env_manager,
        "script": _script_name(entry, checkout.folder),
    }
    return summary


def _script_name(entry: EntryPoint, folder: Path) -> str | None:
    """The script file the command runs, when one can be named (``python train.py ...``)."""
    import shlex

    try:
        words = shlex.split(entry.command.replace("{", "").replace("}", ""))
    except ValueError:
        return None
    for word in words[:3]:
        if os.path.splitext(word)[1] in (".py", ".sh") and (folder / word).is_file():
            return word
    return None


def source_tags(checkout: Checkout, entry: EntryPoint, env_manager: str) -> dict[str, str]:
    """MLflow's tags for a project run."""
    tags = {
        "mlflow.source.name": checkout.uri,
        "mlflow.source.type": "PROJECT",
        TAG_ENTRY_POINT: entry.name,
        TAG_ENV: env_manager,
        TAG_BACKEND: "local",
    }
    if checkout.git.get("git_commit"):
        tags["mlflow.source.git.commit"] = checkout.git["git_commit"]
    if checkout.git.get("git_repo_url"):
        tags["mlflow.source.git.repoURL"] = checkout.git["git_repo_url"]
    return tags


def build_env(
    env_manager: str,
    python_env: Any,
    *,
    find_links: str | None,
    no_index: bool,
) -> ProjectEnv:
    """The environment for ``env_manager`` (``python_env`` is a spec.PythonEnv or None)."""
    if env_manager not in ENV_MANAGERS:
        raise InvalidArgument(
            f"env_manager {env_manager!r} is not supported; allowed: {', '.join(ENV_MANAGERS)}"
        )
    if env_manager == "local":
        return local_env()
    deps = [*python_env.build_dependencies, *python_env.dependencies] if python_env else []
    python = python_env.python if python_env else None
    return virtualenv_env(deps, python, find_links=find_links, no_index=no_index)


def run(
    uri: str = ".",
    entry_point: str = "main",
    version: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    env_manager: str | None = None,
    synchronous: bool = True,
    *,
    tracking_uri: str | None = None,
    find_links: str | None = None,
    no_index: bool = False,
    tags: Mapping[str, Any] | None = None,
) -> SubmittedRun:
    """Run a project (MLflow's ``mlflow.projects.run``) as a tracked run.

    ``uri`` is a project folder or a git repository (path or URL, ``#subdir``
    for a folder inside; ``version`` is a commit, branch or tag to check
    out). ``parameters`` are checked before anything runs; those the entry
    point does not declare are passed on as ``--key value``. ``env_manager``
    is ``"local"`` (this interpreter) or ``"virtualenv"`` (built from the
    project's ``python_env.yaml``; the default when the project has one);
    ``find_links``/``no_index`` go to pip. Returns a :class:`SubmittedRun`;
    with ``synchronous=True`` (default) it has ended, and a run that did not
    finish raises :class:`ExecutionException` (``run_id`` and ``exit_code``
    are attributes). Raises :class:`InvalidArgument` for a bad parameter,
    :class:`NotFound` for a missing project or entry point.
    """
    client = Client(tracking_uri)
    checkout = open_source(uri, version)
    try:
        project = load_project(checkout.folder)
        entry = project.entry_point(entry_point)
        declared, extra = check_parameters(entry, dict(parameters or {}))
        command = render_command(entry, declared, extra)
        manager = env_manager or ("virtualenv" if project.env_kind == "python_env" else "local")
        if project.env_kind == "conda_env":
            if env_manager != "virtualenv":
                raise InvalidArgument(
                    f"project {checkout.uri} uses conda_env, which litetrack does not build; "
                    "supported: python_env (python_env.yaml). Pass env_manager='virtualenv' "
                    "(--env-manager virtualenv) to build a virtualenv from its pip section, or "
                    "'local' to use this interpreter"
                )
            _log.warning(
                "project %s uses conda_env: building a virtualenv from its pip section only "
                "(conda packages are not installed)",
                checkout.uri,
            )
        env = build_env(manager, project.env, find_links=find_links, no_index=no_index)
        exp_id = experiment_id_for(client, experiment_name, experiment_id)
        script_name = _script_name(entry, checkout.folder)
        script = (checkout.folder / script_name).read_bytes() if script_name else None
        source = source_record(
            checkout, entry, command, declared, extra, manager, client.store.objects, script
        )
        all_tags = {
            **source_tags(checkout, entry, manager),
            **{k: str(v) for k, v in (tags or {}).items()},
        }
    except BaseException:
        checkout.cleanup()
        raise
    submitted = launch(
        client,
        checkout.folder,
        command,
        env,
        exp_id,
        params={**declared, **extra},
        source=source,
        tags=all_tags,
        run_name=run_name,
        on_done=checkout.cleanup,
    )
    if synchronous:
        finish(submitted)
    return submitted


def finish(submitted: SubmittedRun) -> None:
    """Wait for ``submitted``; raise :class:`ExecutionException` unless it FINISHED."""
    if not submitted.wait():
        raise ExecutionException(
            f"Run (ID '{submitted.run_id}') failed: {submitted.get_status()}, exit code "
            f"{submitted.exit_code} from {submitted.command!r}",
            run_id=submitted.run_id,
            exit_code=submitted.exit_code,
        )
