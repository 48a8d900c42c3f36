"""Fixtures for remote tests: a real S3 API on loopback (moto's server) and a folder remote.

Import the fixtures into a test module with
``from remote_fixtures import s3_server, remote_url, s3_env  # noqa: F401``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _serialized_server_class() -> type:
    """ThreadedMotoServer whose requests run one at a time.

    moto checks ``If-Match``/``If-None-Match`` and then writes without a lock,
    so two concurrent conditional puts can both succeed, which real S3 never
    allows (the conditional write is atomic there). Serialising requests gives
    the test server S3's semantics; the clients stay fully concurrent.
    """
    import threading

    from moto.server import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        ThreadedMotoServer,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    class SerializedMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            app = DomainDispatcherApplication(create_backend_app)
            lock = threading.Lock()

            def serialized(environ, start_response):  # type: ignore[no-untyped-def]
                with lock:
                    return list(app(environ, start_response))

            self._server = make_server(
                self._ip_address, self._port, serialized, True, request_handler=MotoRequestHandler
            )
            self._server_ready_event.set()
            self._server.serve_forever()

    return SerializedMotoServer


class S3Server:
    """A moto server on 127.0.0.1 and a free port (S3's atomic conditional puts); can be stopped."""

    def __init__(self) -> None:
        self._cls = _serialized_server_class()
        self.server = self._cls(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.port = port
        self.endpoint = f"http://{host}:{port}"

    def stop(self) -> None:
        """Stop answering (requests then fail with connection errors)."""
        self.server.stop()

    def restart(self) -> None:
        """Serve again on the same port (moto keeps its state in-process)."""
        self.server = self._cls(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()

    def new_bucket(self) -> str:
        """A fresh, empty bucket."""
        import boto3

        name = f"lt-{uuid.uuid4().hex[:12]}"
        boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_bucket(Bucket=name)
        return name


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """One moto server for the session (each test gets its own bucket)."""
    pytest.importorskip("moto.server")
    pytest.importorskip("obstore")
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials in the environment, as the standard chain reads them.

    The endpoint variables point every S3 client at the loopback server, so
    no request can reach a real cloud even where a test passes no endpoint.
    """
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)
    monkeypatch.setenv("AWS_ALLOW_HTTP", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture(params=["file", "s3"])
def remote_spec(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str | None]:
    """(url, endpoint_url) of an empty remote: a folder, or a bucket on the moto server."""
    if request.param == "file":
        return (tmp_path / "remote").as_uri(), None
    server: S3Server = request.getfixturevalue("s3_server")
    request.getfixturevalue("s3_env")
    return f"s3://{server.new_bucket()}/team", server.endpoint


__all__ = ["S3Server", "s3_server", "s3_env", "remote_spec", "os"]
