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
from pathlib import Path
from urllib.parse import urlsplit

from litetrack.errors import InvalidArgument
from litetrack.store.location import file_uri_path
from litetrack.store.remote.base import SCHEMES, ObjectMeta, Remote, check_key

__all__ = ["ObjectMeta", "Remote", "open_remote", "check_key", "SCHEMES"]


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

        path = file_uri_path(url)  # the one file: parser; refuses another host
        if not os.path.isabs(path):
            raise InvalidArgument(
                f"unsupported file URL {url!r}: expected file:///absolute/path", url=url
            )
        return FolderRemote(Path(path), name=name or url)
    from litetrack.store.remote.objstore import ObstoreRemote

    return ObstoreRemote(url, endpoint_url=endpoint_url, name=name or url)
