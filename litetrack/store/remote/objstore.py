"""A remote on object storage (S3 and compatibles, GCS, Azure) through ``obstore``.

obstore (the ``remote`` extra) signs and sends the requests, streams large
files as multipart uploads, retries transient failures, and exposes the
conditional puts the protocol relies on: ``mode="create"`` sends
``If-None-Match: *`` and ``mode={"e_tag": ...}`` sends ``If-Match``.
Credentials come from each service's standard chain (environment variables,
profiles, instance roles): this module never sees or stores them, and error
messages carry only the remote's name, the operation and the key.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO, NoReturn
from urllib.parse import urlsplit

from litetrack.errors import RemoteError
from litetrack.store.remote.base import ObjectMeta, Remote, check_key

#: Transient failures are retried this often, within this many seconds, before
#: an error naming the remote reaches the user (obstore's defaults, 10 retries
#: within 3 minutes, make an unreachable remote look like a hang).
MAX_RETRIES = 3
RETRY_TIMEOUT = timedelta(seconds=20)


def _import_obstore() -> Any:
    try:
        import obstore
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise RemoteError(
            "object-storage remotes need the 'remote' extra: pip install 'litetrack[remote]'"
        ) from None
    return obstore


class ObstoreRemote(Remote):
    """:class:`~litetrack.store.remote.Remote` over an obstore store built from a URL."""

    def __init__(
        self, url: str, *, endpoint_url: str | None = None, name: str | None = None
    ) -> None:
        self._obs = _import_obstore()
        from obstore.store import from_url

        self.url = url
        self.name = name or url
        self.endpoint_url = endpoint_url
        kwargs: dict[str, Any] = {
            "retry_config": {
                "max_retries": MAX_RETRIES,
                "retry_timeout": RETRY_TIMEOUT,
                "backoff": {
                    "init_backoff": timedelta(milliseconds=100),
                    "max_backoff": timedelta(seconds=2),
                },
            }
        }
        if endpoint_url:
            kwargs["endpoint"] = endpoint_url
            if urlsplit(endpoint_url).scheme == "http":
                kwargs["client_options"] = {"allow_http": True}
        try:
            self._store = from_url(url, **kwargs)
        except Exception as e:  # noqa: BLE001 - obstore raises several kinds for a bad URL/config
            raise RemoteError(
                f"cannot open remote {self.name!r}: {_first_line(e)}", remote=self.name
            ) from None

    def _fail(self, op: str, key: str, e: BaseException) -> NoReturn:
        raise RemoteError(
            f"remote {self.name!r}: {op} {key!r} failed: {_first_line(e)}",
            remote=self.name,
            key=key,
        ) from None

    def get(self, key: str) -> tuple[bytes, str]:
        """The bytes of ``key`` and their ETag."""
        check_key(key)
        try:
            result = self._obs.get(self._store, key)
            data = bytes(result.bytes())
            return data, result.meta["e_tag"] or ""
        except FileNotFoundError:
            raise self._not_found(key) from None
        except Exception as e:  # noqa: BLE001
            self._fail("reading", key, e)

    def head(self, key: str) -> ObjectMeta | None:
        """Size and ETag of ``key``, or None."""
        check_key(key)
        try:
            meta = self._obs.head(self._store, key)
        except FileNotFoundError:
            return None
        except Exception as e:  # noqa: BLE001
            self._fail("checking", key, e)
        return ObjectMeta(key, meta["size"], meta["e_tag"])

    def put(self, key: str, data: bytes) -> str:
        """Create or replace ``key``."""
        check_key(key)
        try:
            return str(self._obs.put(self._store, key, data)["e_tag"])
        except Exception as e:  # noqa: BLE001
            self._fail("writing", key, e)

    def put_file(self, key: str, path: str | os.PathLike[str]) -> None:
        """Upload a local file (multipart above obstore's chunk size; atomic either way)."""
        check_key(key)
        try:
            self._obs.put(self._store, key, Path(path))
        except Exception as e:  # noqa: BLE001
            self._fail("uploading", key, e)

    def put_if_absent(self, key: str, data: bytes) -> str | None:
        """Create ``key`` with ``If-None-Match: *``; None when it exists."""
        check_key(key)
        try:
            return str(self._obs.put(self._store, key, data, mode="create")["e_tag"])
        except self._obs.exceptions.AlreadyExistsError:
            return None
        except self._obs.exceptions.PreconditionError:
            return None  # some services answer 412 rather than 409 to If-None-Match
        except Exception as e:  # noqa: BLE001
            self._fail("creating", key, e)

    def put_if_match(self, key: str, data: bytes, etag: str) -> str | None:
        """Replace ``key`` with ``If-Match: etag``; None when the ETag changed or it is gone."""
        check_key(key)
        try:
            return str(self._obs.put(self._store, key, data, mode={"e_tag": etag})["e_tag"])
        except (self._obs.exceptions.PreconditionError, FileNotFoundError):
            return None
        except Exception as e:  # noqa: BLE001
            self._fail("replacing", key, e)

    def list(self, prefix: str = "") -> Iterator[ObjectMeta]:
        """Every object under ``prefix`` (obstore pages through the listing)."""
        # obstore lists whole path segments: list the folder part, filter the rest.
        base = prefix.rsplit("/", 1)[0] if "/" in prefix else None
        try:
            for batch in self._obs.list(self._store, base):
                for meta in batch:
                    key = meta["path"]
                    if key.startswith(prefix):
                        yield ObjectMeta(key, meta["size"], meta["e_tag"])
        except Exception as e:  # noqa: BLE001
            self._fail("listing", prefix, e)

    def delete(self, key: str) -> None:
        """Remove ``key``."""
        check_key(key)
        try:
            self._obs.delete(self._store, key)
        except FileNotFoundError:
            pass
        except Exception as e:  # noqa: BLE001
            self._fail("deleting", key, e)

    def download(self, key: str, fileobj: BinaryIO) -> int:
        """Stream ``key`` into ``fileobj``."""
        check_key(key)
        n = 0
        try:
            for chunk in self._obs.get(self._store, key).stream(min_chunk_size=1 << 20):
                fileobj.write(chunk)
                n += len(chunk)
        except FileNotFoundError:
            raise self._not_found(key) from None
        except Exception as e:  # noqa: BLE001
            self._fail("downloading", key, e)
        return n


def _first_line(e: BaseException) -> str:
    """The first line of an obstore error (the rest is a debug dump), shortened."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:300]
