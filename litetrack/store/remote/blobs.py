"""Blobs on a remote: where they live, and a download that checks their digest.

Push, pull and the central registry share one place for a blob
(``objects/sha256/ab/<62 hex>``, git-style fan-out like the local
``objects/`` folder), so a blob pushed with a run serves a registered
version too, and the other way round.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from litetrack.errors import ChecksumMismatch
from litetrack.store.remote.base import Remote

if TYPE_CHECKING:
    from litetrack.store.objects import ObjectStore

__all__ = ["blob_key", "download_blob"]


def blob_key(digest: str) -> str:
    """Key of a blob: git-style fan-out, like the local ``objects/`` folder."""
    return f"objects/sha256/{digest[:2]}/{digest[2:]}"


def download_blob(
    remote: Remote, objects: ObjectStore, digest: str, tmp_dir: Path, *, where: str, tag: str
) -> None:
    """Copy the blob ``digest`` from ``remote`` into the local object store.

    The bytes go to a temp file in ``tmp_dir`` (named ``.tmp-<pid>-<tag>-...``,
    removed whatever happens) and are hashed on their way into ``objects``:
    a blob that does not match its name raises :class:`ChecksumMismatch`
    (its message starts with ``where``) and never counts as present.
    """
    with tempfile.NamedTemporaryFile(dir=tmp_dir, prefix=f".tmp-{os.getpid()}-{tag}-") as f:
        remote.download(blob_key(digest), f)  # type: ignore[arg-type]
        f.flush()
        ref = objects.put_file(f.name)
    if ref.digest != digest:
        raise ChecksumMismatch(
            f"{where}: blob {digest} hashes to {ref.digest}",
            path=blob_key(digest),
            expected=digest,
            actual=ref.digest,
        )
