"""Where the store lives: explicit URI, ``LITETRACK_STORE``, or the user data folder."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from litetrack import settings
from litetrack.errors import StoreError, UnsupportedURI

_REMOTE_SCHEMES = {
    "http": "an MLflow tracking server",
    "https": "an MLflow tracking server",
    "databricks": "Databricks",
    "databricks-uc": "Databricks Unity Catalog",
    "sqlite": "an MLflow SQL store",
    "postgresql": "an MLflow SQL store",
    "mysql": "an MLflow SQL store",
    "mssql": "an MLflow SQL store",
    "uc": "Databricks Unity Catalog",
}


def file_uri_path(uri: str) -> str:
    """The local path a ``file:`` URI names, percent-decoded: the one ``file:`` parser.

    ``file:///abs/p`` and ``file://localhost/abs/p`` give ``/abs/p``;
    ``file:/abs/p`` gives ``/abs/p``; ``file:rel/p`` gives ``rel/p`` (kept
    relative, ``?`` and ``#`` included). Raises
    :class:`~litetrack.errors.UnsupportedURI` when the URI names another host
    or is not a ``file:`` URI.
    """
    parsed = urlparse(uri)
    if parsed.scheme.lower() != "file":
        raise UnsupportedURI(f"{uri!r} is not a file: URI", uri=uri)
    if parsed.netloc not in ("", "localhost"):
        raise UnsupportedURI(
            f"Unsupported URI {uri!r}: file URIs must name a local path "
            f"(file:///abs/path or file:relative/path), not one on host {parsed.netloc!r}",
            uri=uri,
        )
    if uri[len("file:") :].startswith("//"):
        return unquote(parsed.path)
    return unquote(uri[len("file:") :])


def path_from_uri(uri: str | os.PathLike[str]) -> Path:
    """Turn a path or ``file:`` URI into an absolute Path.

    Raises :class:`UnsupportedURI` for server or database URIs: litetrack is
    local-first and keeps everything in one folder.
    """
    text = os.fspath(uri)
    if not isinstance(text, str) or not text.strip():
        raise UnsupportedURI(f"Invalid tracking URI {uri!r}: expected a folder path or file: URI")
    if text.lower() in ("databricks", "databricks-uc", "uc"):
        text = text + "://"
    if "://" in text or (":" in text and text.split(":", 1)[0].isalpha() and len(text.split(":", 1)[0]) > 1):
        parsed = urlparse(text)
        scheme = parsed.scheme.split("+", 1)[0].lower()
        if scheme == "file":
            return Path(file_uri_path(text)).expanduser().absolute()
        what = _REMOTE_SCHEMES.get(scheme, f"a {scheme!r} backend")
        raise UnsupportedURI(
            f"Unsupported tracking URI {text!r}: it points to {what}, but litetrack is "
            "local-first and stores everything in a folder. Pass a folder path or a "
            "file: URI instead (for example set_tracking_uri('./litetrack-store')); to bring "
            "existing MLflow runs over, use `python -m litetrack import-mlflow`."
        )
    return Path(text).expanduser().absolute()


def default_store_path() -> Path:
    """The store used when nothing was set: ``LITETRACK_STORE``, else the user data folder."""
    env = settings.store_uri()
    if env:
        return path_from_uri(env)
    # MLflow's variable, honoured when it names a local path so that
    # MLflow-configured shells keep working.
    mlflow_env = settings.mlflow_tracking_uri()
    if mlflow_env and (mlflow_env.startswith("file:") or "://" not in mlflow_env):
        return path_from_uri(mlflow_env)
    import platformdirs

    return Path(platformdirs.user_data_dir("litetrack"))


def check_store_path(path: Path, *, create: bool) -> None:
    """Raise :class:`StoreError` if ``path`` cannot hold a store.

    With ``create`` the folder (and parents) is made; it must then be writable.
    """
    if path.exists() and not path.is_dir():
        raise StoreError(f"Store path {str(path)!r} is a file, not a folder", path=str(path))
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(
                f"Cannot create store folder {str(path)!r}: {e.strerror or e}", path=str(path)
            ) from e
        if not os.access(path, os.W_OK | os.X_OK):
            raise StoreError(f"Store folder {str(path)!r} is not writable", path=str(path))


#: Entries of which any one makes a folder a litetrack store. Every write
#: creates one of them (a run ``runs/``, an experiment ``experiments/``, a
#: logged blob ``objects/``, a registered model ``registry/``), and no read
#: creates any, so a folder some read was pointed at stays what it was.
STORE_MARKERS = ("experiments", "runs", "objects", "registry")


def is_store(path: Path) -> bool:
    """Whether ``path`` is a litetrack store folder (holds one of :data:`STORE_MARKERS`)."""
    return any(os.path.isdir(os.path.join(path, name)) for name in STORE_MARKERS)


_explicit: tuple[str, Path] | None = None


def set_tracking_uri(uri: str | os.PathLike[str] | None) -> None:
    """Use the store at ``uri`` (a folder path or ``file:`` URI) from now on.

    The path is made absolute now, so a later ``chdir`` does not move the
    store. ``None`` goes back to the default (``LITETRACK_STORE`` or the user
    data folder). Raises :class:`UnsupportedURI` for server/database URIs.
    """
    global _explicit
    if uri is None:
        _explicit = None
        return
    path = path_from_uri(uri)
    check_store_path(path, create=False)
    _explicit = (os.fspath(uri), path)


def get_tracking_uri() -> str:
    """The tracking URI in use: what was set, else the default store path."""
    if _explicit is not None:
        return _explicit[0]
    return str(default_store_path())


def is_tracking_uri_set() -> bool:
    """Whether a store was chosen (MLflow's ``is_tracking_uri_set``): by
    :func:`set_tracking_uri`, ``LITETRACK_STORE`` or ``MLFLOW_TRACKING_URI``."""
    return _explicit is not None or bool(settings.store_uri() or settings.mlflow_tracking_uri())


def current_store_path() -> Path:
    """The folder of the store in use."""
    if _explicit is not None:
        return _explicit[1]
    return default_store_path()


# A registry on object storage or a shared folder, shared by a team (see
# :mod:`litetrack.store.remote.registry`); settings.REGISTRY_URI names it by environment.
_REGISTRY_SCHEMES = ("s3", "s3a", "gs", "az", "abfs", "abfss", "file")
_registry_uri: str | None = None


def _check_registry_uri(uri: str) -> str:
    scheme = urlparse(uri).scheme.lower()
    if scheme not in _REGISTRY_SCHEMES:
        raise UnsupportedURI(
            f"Unsupported registry URI {uri!r}: expected s3://bucket/prefix, gs://bucket/prefix, "
            "az://container/prefix or file:///shared/folder (unset it to use the store's own "
            "registry)",
            uri=uri,
        )
    return uri


def set_registry_uri(uri: str | None) -> None:
    """Use the registry at ``uri`` (``s3://bucket/team``, ``gs://``, ``az://``, ``file:///``).

    Every registry call (register, stage moves, aliases, search, ``models:/``
    loading) then acts on that shared registry with conditional writes.
    ``None`` goes back to ``LITETRACK_REGISTRY_URI``, else the store's own
    registry. Raises :class:`UnsupportedURI` for other schemes.
    """
    global _registry_uri
    _registry_uri = None if uri is None else _check_registry_uri(os.fspath(uri))


def remote_registry_uri() -> str | None:
    """The shared registry's URI when one is set (explicitly or by environment), else None."""
    if _registry_uri is not None:
        return _registry_uri
    env = settings.registry_uri()
    return _check_registry_uri(env) if env else None


def get_registry_uri() -> str:
    """The registry URI in use: the shared registry's, else the tracking URI (as in MLflow)."""
    return remote_registry_uri() or get_tracking_uri()
