"""What every flavour shares: writing a model folder, logging it to a run, opening it to load.

A flavour (``litetrack.sklearn``, ``litetrack.xgboost``, ``litetrack.pyfunc``
...) writes its own files; :func:`save_model_folder` adds the rest of the
folder: the environment files with inferred requirements, the input example,
the signature and the ``MLmodel`` descriptor with the digest of every file.
:func:`log_model_folder` saves into a temp folder and logs the files as the
active run's artifacts. :class:`ModelDir` opens a folder named by a URI for a
loader, checking every file a loader reads against its recorded digest.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import platform
import shutil
import sys
import tempfile
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from litetrack import __version__, yamlfmt
from litetrack.errors import (
    AlreadyExists,
    ChecksumMismatch,
    InvalidArgument,
)
from litetrack.fluent import active_run_writer
from litetrack.models.envfiles import CONDA_FILE, PYTHON_ENV_FILE, write_env_files
from litetrack.models.input_example import as_example_data, save_input_example
from litetrack.models.model import (
    MLMODEL_FILE,
    PYFUNC,
    SCHEMA_VERSION,
    Model,
    ModelInfo,
    file_sha256,
)
from litetrack.models.requirements import (
    _dist_version,
    infer_requirements,
    modules_in_pickle,
    resolve_requirements,
)
from litetrack.models.signature import ModelSignature, infer_schema
from litetrack.models.uri import resolve_model
from litetrack.registry import register_model
from litetrack.store.artifacts import log_files
from litetrack.store.core import current_store
from litetrack.store.paths import validate_artifact_path
from litetrack.validation import MAX_TAG_VALUE_LENGTH

__all__ = [
    "ModelDir",
    "log_model_folder",
    "open_model",
    "save_model_folder",
]

_log = logging.getLogger(__name__)

#: Run tag listing the models logged to a run (MLflow's name and JSON shape).
HISTORY_TAG = "mlflow.log-model.history"
CODE_DIR = "code"
PICKLE_HEADERS = tuple(b"\x80" + bytes([p]) for p in range(2, 6))

# --------------------------------------------------------------------------
# Requirements of a folder
# --------------------------------------------------------------------------

# digest -> modules: a preprocessor logged again with every run of a sweep is
# scanned once per process.
_scan_cache: OrderedDict[str, frozenset[str]] = OrderedDict()
_SCAN_CACHE_MAX = 64


def _modules_of(path: Path) -> set[str]:
    digest = file_sha256(path)
    hit = _scan_cache.get(digest)
    if hit is None:
        hit = frozenset(modules_in_pickle(path, include_code=True))
        _scan_cache[digest] = hit
        if len(_scan_cache) > _SCAN_CACHE_MAX:
            _scan_cache.popitem(last=False)
    else:
        _scan_cache.move_to_end(digest)
    return set(hit)


def is_pickle_file(path: Path) -> bool:
    """Whether a file starts like a pickle of protocol 2 to 5 (what cloudpickle writes)."""
    try:
        with open(path, "rb") as f:
            return f.read(2) in PICKLE_HEADERS
    except OSError:
        return False


def _installed(dists: Iterable[str]) -> list[str]:
    return [d for d in dists if _dist_version(d) is not None]


def _pip_from_conda_env(conda_env: Any) -> list[str] | None:
    """The pip requirements of an MLflow ``conda_env`` (dict or YAML file path)."""
    if conda_env is None:
        return None
    if isinstance(conda_env, (str, os.PathLike)):
        conda_env = yamlfmt.load(Path(conda_env).read_text("utf-8"), os.fspath(conda_env))
    if not isinstance(conda_env, dict):
        raise InvalidArgument(
            f"conda_env must be a dict or a YAML file path, got {type(conda_env).__name__}"
        )
    reqs: list[str] = []
    for dep in conda_env.get("dependencies") or []:
        if isinstance(dep, dict) and isinstance(dep.get("pip"), list):
            reqs.extend(str(r) for r in dep["pip"])
    return reqs


def folder_requirements(
    folder: Path,
    pickles: Sequence[str],
    flavor_packages: Sequence[str],
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    local_modules: Iterable[str] = (),
) -> list[str]:
    """Pinned requirements of a model folder: flavour packages + modules its pickles use."""
    if pip_requirements is not None:
        return resolve_requirements([], pip_requirements, None)
    modules: set[str] = set()
    for rel in pickles:
        modules |= _modules_of(folder / rel)
    # litetrack is pinned by resolve_requirements (even from a source checkout).
    modules -= {*local_modules, "litetrack"}
    inferred = infer_requirements(sorted(modules), extra_packages=_installed(flavor_packages))
    return resolve_requirements(inferred, None, extra_pip_requirements)


# --------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------


def _prepare_target(path: str | os.PathLike[str]) -> tuple[Path, bool]:
    """The folder to save into (created), and whether it existed (empty) before."""
    target = Path(path)
    existed = target.exists()
    if existed and (not target.is_dir() or any(target.iterdir())):
        raise AlreadyExists(
            f"Cannot save a model to {target}: it already exists and is not an empty folder; "
            "give a new path",
            path=str(target),
        )
    target.mkdir(parents=True, exist_ok=True)
    return target, existed


def _copy_code_paths(
    folder: Path, code_paths: Sequence[str | os.PathLike[str]] | None
) -> tuple[str | None, set[str]]:
    """Copy ``code_paths`` into ``code/``; return the conf value and the module names they add."""
    if not code_paths:
        return None, set()
    dest = folder / CODE_DIR
    dest.mkdir()
    names: set[str] = set()
    for p in code_paths:
        src = Path(p)
        if not src.exists():
            raise InvalidArgument(f"code path {src} does not exist")
        target = dest / src.name
        if src.is_dir():
            shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, target)
        names.add(src.stem if src.is_file() else src.name)
    return CODE_DIR, names


def library_versions(names: Iterable[str]) -> dict[str, str]:
    """``{"python": "3.11.9", dist: version ...}`` for the installed ones among ``names``."""
    out = {"python": platform.python_version()}
    for name in names:
        version = _dist_version(name)
        if version is not None:
            out[name] = version
    return out


def save_model_folder(
    path: str | os.PathLike[str],
    *,
    flavor_name: str,
    flavor_conf: dict[str, Any],
    loader_module: str,
    write_files: Callable[[Path], None],
    pyfunc_conf: dict[str, Any] | None = None,
    flavor_packages: Sequence[str] = (),
    pickles: Sequence[str] = (),
    versions_of: Sequence[str] = (),
    signature: ModelSignature | None = None,
    input_example: Any = None,
    predict_for_signature: Callable[[Path, Any], Any] | None = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    conda_env: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    metadata: dict[str, Any] | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
) -> Model:
    """Write a complete model folder at ``path`` and return its descriptor.

    ``write_files(folder)`` writes the flavour's own files; ``pickles`` lists
    those (relative paths) whose referenced modules become requirements,
    next to ``flavor_packages`` (distribution names pinned when installed).
    A signature is inferred from ``input_example`` when none is given; its
    outputs come from ``predict_for_signature(folder, example)`` when that
    is given and succeeds. Raises :class:`~litetrack.errors.AlreadyExists`
    when ``path`` is a non-empty folder.
    """
    if pip_requirements is None and conda_env is not None:
        pip_requirements = _pip_from_conda_env(conda_env)
    folder, existed = _prepare_target(path)
    try:
        write_files(folder)
        code, local_modules = _copy_code_paths(folder, code_paths)
        reqs = folder_requirements(
            folder,
            pickles,
            flavor_packages,
            pip_requirements,
            extra_pip_requirements,
            local_modules,
        )
        write_env_files(folder, reqs)
        example_info = None
        if input_example is not None:
            example_info = save_input_example(folder, input_example)
            if signature is None:
                signature = _infer_from_example(
                    folder, as_example_data(input_example), predict_for_signature
                )
        model = Model(
            artifact_path=artifact_path,
            run_id=run_id,
            signature=signature,
            saved_input_example_info=example_info,
            metadata=metadata,
        )
        pyfunc = dict(pyfunc_conf or {})
        if flavor_name == PYFUNC:  # custom pyfunc models have this one section only
            pyfunc.update(flavor_conf)
        pyfunc.update(
            loader_module=loader_module,
            python_version=platform.python_version(),
            env={"conda": CONDA_FILE, "virtualenv": PYTHON_ENV_FILE},
        )
        if code:
            pyfunc["code"] = code
        model.add_flavor(PYFUNC, **pyfunc)
        if flavor_name != PYFUNC:
            model.add_flavor(flavor_name, **{**flavor_conf, "code": code})
        model.litetrack.update(
            schema_version=SCHEMA_VERSION,
            version=__version__,
            library_versions=library_versions(versions_of),
        )
        model.record_files(folder)
        model.save(folder)
        model.path = folder
        return model
    except BaseException:
        # Leave the path as it was: no half-written model folder.
        if existed:
            for child in folder.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        else:
            shutil.rmtree(folder, ignore_errors=True)
        raise


def _infer_from_example(
    folder: Path, example: Any, predict: Callable[[Path, Any], Any] | None
) -> ModelSignature | None:
    try:
        inputs = infer_schema(example)
    except Exception as exc:  # noqa: BLE001 - a signature is optional; say why there is none
        _log.warning("could not infer a model signature from the input example: %s", exc)
        return None
    outputs = None
    if predict is not None:
        try:
            outputs = infer_schema(predict(folder, example))
        except Exception as exc:  # noqa: BLE001 - the output schema is optional
            _log.warning("could not infer the output schema from the input example: %s", exc)
    return ModelSignature(inputs, outputs)


# --------------------------------------------------------------------------
# Logging
# --------------------------------------------------------------------------


def artifact_path_of(artifact_path: str | None, name: str | None) -> str:
    """The artifact path of a logged model: ``artifact_path``, else ``name``, else ``model``."""
    if artifact_path is not None and name is not None and artifact_path != name:
        raise InvalidArgument(
            f"log_model got artifact_path={artifact_path!r} and name={name!r}; give one of them"
        )
    return validate_artifact_path(artifact_path or name or "model")


def _record_history(writer: Any, model: Model) -> None:
    import json


    entry = {
        k: v
        for k, v in model.to_dict().items()
        if k in ("run_id", "artifact_path", "utc_time_created", "flavors", "model_uuid")
    }
    try:
        history = json.loads(writer.tags.get(HISTORY_TAG) or "[]")
        if not isinstance(history, list):
            history = []
    except ValueError:
        history = []
    history.append(entry)
    text = json.dumps(history)
    while len(text) > MAX_TAG_VALUE_LENGTH and len(history) > 1:
        history.pop(0)  # the newest entries matter; the artifacts keep every model
        text = json.dumps(history)
    if len(text) <= MAX_TAG_VALUE_LENGTH:
        writer.set_tags({HISTORY_TAG: text})


def log_flavor_model(
    save_model: Callable[..., Model],
    model: Any,
    artifact_path: str | None,
    name: str | None,
    signature: Any,
    input_example: Any,
    pip_requirements: Any,
    extra_pip_requirements: Any,
    registered_model_name: str | None,
    options: dict[str, Any],
) -> ModelInfo:
    """The body of every flavour's ``log_model``: its ``save_model`` into a folder, then logged.

    Each flavour keeps its own ``log_model`` with MLflow's explicit signature
    and calls this.
    """
    return log_model_folder(
        lambda folder, run_id, path: save_model(
            model,
            folder,
            signature,
            input_example,
            pip_requirements,
            extra_pip_requirements,
            _run_id=run_id,
            _artifact_path=path,
            **options,
        ),
        artifact_path,
        name,
        registered_model_name,
    )


def log_model_folder(
    save: Callable[[Path, str, str], Model],
    artifact_path: str | None = None,
    name: str | None = None,
    registered_model_name: str | None = None,
) -> ModelInfo:
    """Save a model with ``save(folder, run_id, artifact_path)`` and log it to the active run.

    Starts a run when none is active (as MLflow does). Returns a
    :class:`~litetrack.models.model.ModelInfo` whose ``model_uri`` is
    ``runs:/<run_id>/<artifact_path>``. With ``registered_model_name`` the
    model is also registered (:func:`litetrack.registry.register_model`).
    """
    path = artifact_path_of(artifact_path, name)
    writer = active_run_writer()
    run_id = writer.run_id
    store = current_store()
    with tempfile.TemporaryDirectory(prefix="litetrack-model-") as tmp:
        local = Path(tmp) / "model"
        model = save(local, run_id, path)
        files = []
        for dirpath, dirnames, filenames in os.walk(local):
            dirnames.sort()
            for fname in sorted(filenames):
                full = os.path.join(dirpath, fname)
                rel = os.path.relpath(full, local).replace(os.sep, "/")
                files.append((full, f"{path}/{rel}"))
        log_files(store, run_id, files)
    _record_history(writer, model)
    uri = f"runs:/{run_id}/{path}"
    info = ModelInfo(model, uri)
    if registered_model_name is not None:
        version = register_model(uri, registered_model_name)
        info.registered_model_version = version.version
    return info


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------

_warned: set[tuple[Any, ...]] = set()
# (model folder, (file, digest)...) -> private folder of checked code on sys.path.
_code_copies: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}


def _remove_code_copies() -> None:
    for folder in _code_copies.values():
        shutil.rmtree(folder, ignore_errors=True)


class ModelVersionWarning(UserWarning):
    """A model was saved with another version of Python or of a library it needs."""


def _current_version(lib: str) -> str | None:
    if lib == "python":
        return platform.python_version()
    module = {"scikit-learn": "sklearn"}.get(lib, lib)
    mod = sys.modules.get(module)
    version = getattr(mod, "__version__", None) if mod is not None else None
    if version is None:
        version = _dist_version(lib)
    return version


class ModelDir:
    """A model folder opened for loading: its descriptor, and verified reads of its files."""

    def __init__(
        self,
        path: Path,
        uri: str,
        digests: dict[str, str] | None = None,
        *,
        model: Model | None = None,
        verify: bool = True,
        lease: Any = None,
    ) -> None:
        self.path = path
        self.uri = uri
        self.digests = digests
        self._verify = verify
        # Held as long as this object: gc leaves a cached folder alone while it is loaded.
        self.lease = lease
        self.model = (
            model
            if model is not None
            else Model.load(path, expected_sha256=(digests or {}).get(MLMODEL_FILE))
        )

    def flavor(self, name: str) -> dict[str, Any]:
        """The flavour's section of ``MLmodel``; InvalidArgument when the model lacks it."""
        conf = self.model.flavors.get(name)
        if not isinstance(conf, dict):
            raise InvalidArgument(
                f"The model at {self.uri} has no {name!r} flavour (it has "
                f"{sorted(self.model.flavors)}); load it with litetrack.pyfunc.load_model",
                uri=self.uri,
            )
        return conf

    def expected(self, rel: str) -> str | None:
        """The digest ``rel`` must have: the store's record first, else the descriptor's."""
        if self.digests is not None and rel in self.digests:
            return self.digests[rel]
        entry = self.model.files.get(rel)
        return entry.get("sha256") if isinstance(entry, dict) else None

    def _check(self, rel: str, actual: str) -> None:
        if not self._verify:
            return
        expected = self.expected(rel)
        if expected is not None and not self.model.files and actual == expected:
            # Only the store recorded a digest (an imported MLflow model, or
            # a folder logged as plain artifacts): it proves the bytes did not
            # change since then, not that anyone checked them when written.
            key = ("imported", str(self.path), rel)
            if key not in _warned:
                # Marked once shown: with warnings made errors, every load stops.
                warnings.warn(
                    f"{self.path / rel} was not written by litetrack (its MLmodel records no "
                    "digests, as MLflow's do not): it matches what was imported, but it was "
                    "never verified and is trusted only because it was imported; load models "
                    "only from sources you trust",
                    ModelVersionWarning,
                    stacklevel=4,
                )
                _warned.add(key)
        if expected is None:
            key = ("unverified", str(self.path), rel)
            if key not in _warned:
                _warned.add(key)
                warnings.warn(
                    f"{self.path / rel} has no recorded digest (a model written by another tool) "
                    "and is loaded unverified; load models only from sources you trust",
                    ModelVersionWarning,
                    stacklevel=4,
                )
            return
        if actual != expected:
            raise ChecksumMismatch(
                f"Refusing to load {self.path / rel}: its SHA-256 is {actual}, but the model "
                f"recorded {expected} for {rel!r} when it was saved. The file was modified or "
                "corrupted; unpickling it could run someone else's code",
                path=str(self.path / rel),
                expected=expected,
                actual=actual,
            )

    def read(self, rel: str) -> bytes:
        """The bytes of ``rel``, checked against its digest (ChecksumMismatch when they differ).

        ``rel`` comes from ``MLmodel``: it must name a file inside the model
        folder (InvalidArtifactPath otherwise, e.g. for ``../../etc/passwd``).
        """
        rel = validate_artifact_path(rel)
        raw = (self.path / rel).read_bytes()
        self._check(rel, hashlib.sha256(raw).hexdigest())
        return raw

    def verify(self, rel: str) -> Path:
        """Check the file ``rel``, or every file under the folder ``rel``; return its path.

        ``rel`` must name something inside the model folder (as for :meth:`read`).
        """
        rel = validate_artifact_path(rel)
        target = self.path / rel
        if target.is_dir():
            for dirpath, _dirnames, filenames in os.walk(target):
                for fname in filenames:
                    full = Path(dirpath) / fname
                    self._check(full.relative_to(self.path).as_posix(), file_sha256(full))
        else:
            self._check(rel, file_sha256(target))
        return target

    def add_code_to_path(self, conf: dict[str, Any]) -> None:
        """Put the model's ``code/`` folder (``code_paths`` at save time) on ``sys.path``.

        Every file of the folder is checked against its recorded digest
        first, as a pickle is: an edited ``code/mymod.py`` (in the cache, or
        in a folder whose ``MLmodel`` went stale) would otherwise run at load
        time. What goes on ``sys.path`` is a private copy of the checked
        bytes, so a file changed after the check, or a ``.pyc`` planted in
        ``__pycache__`` (Python trusts those by mtime and size), is never
        imported. Raises ``ChecksumMismatch`` naming the file and both
        digests (the recorded one is ``None`` for a file added since the
        model was saved); models that record no digests at all (written by
        MLflow) load with the "unverified" warning.
        """
        code = conf.get("code")
        if not code:
            return
        rel_dir = validate_artifact_path(str(code))  # never a folder outside the model
        src = self.path / rel_dir
        if not src.is_dir():
            return
        checked: dict[str, bytes] = {}
        for dirpath, dirnames, filenames in os.walk(src):
            # Python's own caches: never copied, never imported from here.
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for fname in sorted(filenames):
                if fname.endswith((".pyc", ".pyo")):
                    continue
                rel = (Path(dirpath) / fname).relative_to(self.path).as_posix()
                checked[rel] = self._read_code(rel)
        digests = tuple((rel, hashlib.sha256(b).hexdigest()) for rel, b in checked.items())
        key = (str(self.path), digests)
        copy = _code_copies.get(key)
        if copy is None:
            copy = tempfile.mkdtemp(prefix="litetrack-code-")
            for rel, data in checked.items():
                target = Path(copy, Path(rel).relative_to(rel_dir))
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            _code_copies[key] = copy
            if len(_code_copies) == 1:
                atexit.register(_remove_code_copies)
        if copy not in sys.path:
            sys.path.insert(0, copy)

    def _read_code(self, rel: str) -> bytes:
        """The bytes of the code file ``rel``, checked; a file nobody recorded is refused."""
        raw = (self.path / rel).read_bytes()
        actual = hashlib.sha256(raw).hexdigest()
        recorded_any = self.digests is not None or bool(self.model.files)
        if self._verify and recorded_any and self.expected(rel) is None:
            raise ChecksumMismatch(
                f"Refusing to load {self.path / rel}: its SHA-256 is {actual}, but the model "
                f"recorded no digest for {rel!r} (None) when it was saved. The file was added "
                "since; importing it could run someone else's code",
                path=str(self.path / rel),
                expected=None,
                actual=actual,
            )
        self._check(rel, actual)
        return raw

    def warn_versions(self, libs: Iterable[str]) -> None:
        """Warn once per model and library whose recorded version differs from the running one."""
        recorded = self.model.library_versions
        for lib in libs:
            want = recorded.get(lib)
            have = _current_version(lib)
            if not want or not have or str(want) == have:
                continue
            key = (self.model.model_uuid, lib, str(want), have)
            if key in _warned:
                continue
            _warned.add(key)
            name = "Python" if lib == "python" else lib
            warnings.warn(
                f"The model at {self.uri} was saved with {name} {want}; this interpreter has "
                f"{name} {have}. It may fail to load or predict differently. "
                f"`python -m litetrack env check {self.uri}` lists every difference, and "
                f"`python -m litetrack env restore {self.uri} --venv DIR` builds a matching "
                "environment",
                ModelVersionWarning,
                stacklevel=4,
            )


def open_model(model_uri: str | os.PathLike[str], store: Any = None) -> ModelDir:
    """Resolve ``model_uri`` and open its folder (see :mod:`litetrack.models.uri`)."""
    resolved = resolve_model(model_uri, store)
    return ModelDir(resolved.path, resolved.uri, resolved.digests, lease=resolved.lease)
