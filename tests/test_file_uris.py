"""One file: URI parser (store.location.file_uri_path), used by every place that takes one."""

from __future__ import annotations

from pathlib import Path

import pytest

from litetrack.errors import UnsupportedURI
from litetrack.store.location import file_uri_path, path_from_uri


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        ("file:///a/b%20c", "/a/b c"),
        ("file://localhost/x/y", "/x/y"),
        ("file:/abs", "/abs"),
        ("file:rel/p", "rel/p"),
        ("file:rel/a#b", "rel/a#b"),
    ],
)
def test_file_uri_path(uri: str, path: str) -> None:
    assert file_uri_path(uri) == path


@pytest.mark.parametrize("uri", ["file://otherhost/x", "s3://b/k", "/plain/path"])
def test_file_uri_path_refuses(uri: str) -> None:
    with pytest.raises(UnsupportedURI, match="otherhost|not a file: URI"):
        file_uri_path(uri)


def test_every_taker_reads_file_uris_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from litetrack.data import _resolve_source

    monkeypatch.chdir(tmp_path)
    assert path_from_uri("file:sub%20dir") == tmp_path / "sub dir"
    # A relative file: URI used to lose its first two characters here.
    assert _resolve_source("file:data/x.csv")[1]["uri"] == str(tmp_path / "data" / "x.csv")
