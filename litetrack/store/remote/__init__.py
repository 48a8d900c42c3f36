"""Remotes: named objects in a shared place (object storage or a shared folder).

A remote is a flat namespace of keys (``"runs/<id>/run.json"``,
``"objects/sha256/ab/cd..."``) holding immutable or conditionally replaced
bytes. :class:`Remote` is the whole interface the sync engine
(:mod:`litetrack.store.remote.sync`) and the remote registry use; every
implementation passes the same contract tests (``tests/test_remote_contract.py``):

* :class:`~litetrack.store.remote.folder.FolderRemote` (``file:///path``): a
  local, mounted or network folder, written with the store's own atomic-write
  primitives (:mod:`litetrack.store.fs`).
* :class:`~litetrack.store.remote.objstore.ObstoreRemote` (``s3://``,
  ``gs://``, ``az://``): object storage through ``obstore`` (the ``remote``
  extra), with its conditional puts (``If-None-Match: *``, ``If-Match``).

ETags are opaque strings: a conditional replace succeeds only when the object
still has the ETag its writer read. Credentials never pass through this
module: obstore reads them from the services' standard chains.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple
from urllib.parse import unquote, urlsplit

from litetrack.errors import InvalidArgument, RemoteNotFound

__all__ = ["ObjectMeta", "Remote", "open_remote", "check_key", "SCHEMES"]

#: URL schemes a remote can use.
SCHEMES = ("file", "s3", "s3a", "gs", "az", "abfs", "abfss")


class ObjectMeta(NamedTuple):
    """What a listing or a head returns about one object."""

    key: str
    size: int
    etag: str | None


def check_key(key: str) -> str:
    """Refuse keys that could leave a folder remote's root or hide from a listing."""
    if (
        not isinstance(key, str)
        or not key
        or key.startswith("/")
        or "\\" in key
        or "\x00" in key
        or any(part in ("", ".", "..") or part.startswith(".") for part in key.split("/"))
    ):
        raise InvalidArgument(
            f"invalid remote key {key!r}: expected '/'-separated names, none empty, "
            "'.', '..' or starting with '.'",
            key=key,
        )
    return key


class Remote(ABC):
    """Named objects with get/put/put-if-absent/compare-and-swap/list/head/delete.

    ``name`` is how errors name the remote (its configured name or its URL).
    Transport failures raise :class:`~litetrack.errors.RemoteError`;
    a missing object raises :class:`~litetrack.errors.RemoteNotFound` from
    :meth:`get`, or returns None from :meth:`head`.
    """

    name: str
    url: str

    @abstractmethod
    def get(self, key: str) -> tuple[bytes, str]:
        """The bytes of ``key`` and their ETag."""

    @abstractmethod
    def head(self, key: str) -> ObjectMeta | None:
        """Size and ETag of ``key``, or None when it does not exist."""

    @abstractmethod
    def put(self, key: str, data: bytes) -> str:
        """Create or replace ``key`` atomically; return the new ETag."""

    @abstractmethod
    def put_file(self, key: str, path: str | os.PathLike[str]) -> None:
        """Create or replace ``key`` with the content of a local file (streamed, atomic)."""

    @abstractmethod
    def put_if_absent(self, key: str, data: bytes) -> str | None:
        """Create ``key`` only if no object has that name: its ETag, or None if one exists."""

    @abstractmethod
    def put_if_match(self, key: str, data: bytes, etag: str) -> str | None:
        """Replace ``key`` only if its ETag is still ``etag``: the new ETag, or None if not."""

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[ObjectMeta]:
        """Every object whose key starts with ``prefix`` (order unspecified)."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key`` (no error if it does not exist)."""

    @abstractmethod
    def download(self, key: str, fileobj: BinaryIO) -> int:
        """Write the bytes of ``key`` to ``fileobj`` in chunks; return how many."""

    def exists(self, key: str) -> bool:
        """Whether ``key`` exists."""
        return self.head(key) is not None

    def _not_found(self, key: str) -> RemoteNotFound:
        return RemoteNotFound(
            f"no object {key!r} on remote {self.name!r}", remote=self.name, key=key
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"


def open_remote(url: str, *, endpoint_url: str | None = None, name: str | None = None) -> Remote:
    """The :class:`Remote` for ``url`` (``file:///path``, ``s3://bucket/prefix``, ``gs://``, ``az://``).

    ``endpoint_url`` points S3 at a compatible service (MinIO, Ceph, R2, a
    test server). Raises :class:`~litetrack.errors.InvalidArgument` for other
    schemes or a URL carrying credentials, and
    :class:`~litetrack.errors.RemoteError` when the ``remote`` extra is missing.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise InvalidArgument(
            f"unsupported remote URL {url!r}: expected file:///path, s3://bucket/prefix, "
            "gs://bucket/prefix or az://container/prefix",
            url=url,
        )
    if parts.username or parts.password:
        # Never keep a secret in the store's configuration: refuse it outright.
        raise InvalidArgument(
            "a remote URL must not carry credentials (user:password@); they come from the "
            "service's standard chain (environment variables, profiles, instance roles)"
        )
    if scheme == "file":
        from litetrack.store.remote.folder import FolderRemote

        if parts.netloc not in ("", "localhost"):
            raise InvalidArgument(
                f"unsupported file URL {url!r}: expected file:///absolute/path", url=url
            )
        return FolderRemote(Path(unquote(parts.path)), name=name or url)
    from litetrack.store.remote.objstore import ObstoreRemote

    return ObstoreRemote(url, endpoint_url=endpoint_url, name=name or url)
