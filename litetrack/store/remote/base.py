"""The remote interface: :class:`Remote`, :class:`ObjectMeta` and the key rule.

Kept apart from :func:`litetrack.store.remote.open_remote` so that the
implementations (``folder``, ``objstore``) import the interface without
importing the factory that picks among them.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

from litetrack.errors import InvalidArgument, RemoteNotFound

__all__ = ["ObjectMeta", "Remote", "check_key", "SCHEMES"]

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
