"""Model code files are checked before they go on sys.path (issue 12 item 3).

``code_paths`` files are code the loader imports: an edited ``code/mod.py``
(in a local model folder whose ``MLmodel`` went stale, or in the store's
cache of materialised models) must be refused exactly as an edited pickle
is, naming the file and both digests, and must never run.
"""

from __future__ import annotations

import stat
import sys
import uuid
from pathlib import Path

import pytest

import litetrack
from litetrack import pyfunc
from litetrack.errors import ChecksumMismatch

LOADER = (
    "import os\n"
    "MARK = {mark!r}\n"
    "class M:\n"
    "    def __init__(self, path):\n"
    "        self.k = float(open(path).read())\n"
    "    def predict(self, data, params=None):\n"
    "        return [v * self.k for v in data]\n"
    "def _load_pyfunc(path):\n"
    "    return M(path)\n"
)
EVIL = "open({marker!r}, 'w').write('ran')\n"


def _module(tmp_path: Path) -> tuple[str, Path]:
    """A loader module with a name no other test imported (sys.modules caches modules)."""
    name = f"loader_{uuid.uuid4().hex[:12]}"
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / f"{name}.py").write_text(LOADER.format(mark=name))
    (tmp_path / "k.txt").write_text("3")
    return name, src / f"{name}.py"


def _make_writable(path: Path) -> None:
    path.chmod(path.stat().st_mode | stat.S_IWUSR)
    path.parent.chmod(path.parent.stat().st_mode | stat.S_IWUSR | stat.S_IXUSR)


@pytest.fixture(autouse=True)
def _forget_loader_modules() -> None:
    yield
    for name in [m for m in sys.modules if m.startswith("loader_")]:
        del sys.modules[name]


def test_edited_code_in_a_local_folder_with_a_stale_mlmodel_is_refused(tmp_path: Path) -> None:
    name, module = _module(tmp_path)
    pyfunc.save_model(
        tmp_path / "m", loader_module=name, data_path=tmp_path / "k.txt", code_paths=[module]
    )
    edited = tmp_path / "m" / "code" / f"{name}.py"
    marker = tmp_path / "ran.txt"
    edited.write_text(edited.read_text() + EVIL.format(marker=str(marker)))
    with pytest.raises(ChecksumMismatch) as err:
        pyfunc.load_model(tmp_path / "m")
    assert str(edited) in str(err.value)
    assert err.value.expected and err.value.actual and err.value.expected != err.value.actual
    assert err.value.expected in str(err.value) and err.value.actual in str(err.value)
    assert not marker.exists()
    assert name not in sys.modules


def test_a_code_file_added_after_saving_is_refused(tmp_path: Path) -> None:
    name, module = _module(tmp_path)
    pyfunc.save_model(
        tmp_path / "m", loader_module=name, data_path=tmp_path / "k.txt", code_paths=[module]
    )
    # A module the loader imports first could shadow anything: not recorded, not loaded.
    added = tmp_path / "m" / "code" / "helpers.py"
    added.write_text("x = 1\n")
    with pytest.raises(ChecksumMismatch, match=r"helpers\.py.*recorded no digest") as err:
        pyfunc.load_model(tmp_path / "m")
    assert err.value.expected is None and err.value.actual


def test_edited_code_in_the_store_cache_is_refused(store_path: Path, tmp_path: Path) -> None:
    name, module = _module(tmp_path)
    with litetrack.start_run():
        info = pyfunc.log_model(
            name="m", loader_module=name, data_path=tmp_path / "k.txt", code_paths=[module]
        )
    assert pyfunc.load_model(info.model_uri).predict([1, 2]) == [3.0, 6.0]
    del sys.modules[name]
    cached = list((store_path / "cache" / "materialized").glob(f"*/code/{name}.py"))
    assert len(cached) == 1
    marker = tmp_path / "ran.txt"
    _make_writable(cached[0])
    cached[0].write_text(cached[0].read_text() + EVIL.format(marker=str(marker)))
    with pytest.raises(ChecksumMismatch, match=name):
        pyfunc.load_model(info.model_uri)
    assert not marker.exists()


def test_a_planted_pyc_is_not_imported(tmp_path: Path) -> None:
    # Python trusts a .pyc whose header matches the source's mtime and size;
    # the checked source must be what is imported, not a cache next to it.
    name, module = _module(tmp_path)
    pyfunc.save_model(
        tmp_path / "m", loader_module=name, data_path=tmp_path / "k.txt", code_paths=[module]
    )
    import importlib.util
    import py_compile

    code = tmp_path / "m" / "code"
    source = code / f"{name}.py"
    marker = tmp_path / "ran.txt"
    evil_src = tmp_path / "evil.py"
    evil_src.write_text(EVIL.format(marker=str(marker)) + LOADER.format(mark=name))
    pyc = Path(importlib.util.cache_from_source(str(source)))
    py_compile.compile(str(evil_src), cfile=str(pyc))
    # Forge the header so it claims to be the cache of the real source.
    st = source.stat()
    data = bytearray(pyc.read_bytes())
    data[8:12] = int(st.st_mtime).to_bytes(4, "little")
    data[12:16] = (st.st_size & 0xFFFFFFFF).to_bytes(4, "little")
    pyc.write_bytes(bytes(data))
    assert pyfunc.load_model(tmp_path / "m").predict([2]) == [6.0]
    assert not marker.exists()


def test_unchanged_code_loads(tmp_path: Path) -> None:
    name, module = _module(tmp_path)
    pyfunc.save_model(
        tmp_path / "m", loader_module=name, data_path=tmp_path / "k.txt", code_paths=[module]
    )
    assert pyfunc.load_model(tmp_path / "m").predict([1]) == [3.0]


def test_a_file_named_outside_the_model_folder_is_refused(tmp_path: Path) -> None:
    # MLmodel names the files a loader reads; none may be outside the folder.
    from litetrack.errors import InvalidArtifactPath
    from litetrack.models.base import open_model

    name, module = _module(tmp_path)
    pyfunc.save_model(
        tmp_path / "m", loader_module=name, data_path=tmp_path / "k.txt", code_paths=[module]
    )
    md = open_model(str(tmp_path / "m"))
    for rel in ("../k.txt", "/etc/hostname", "data/../../k.txt"):
        with pytest.raises(InvalidArtifactPath):
            md.read(rel)
        with pytest.raises(InvalidArtifactPath):
            md.verify(rel)
    with pytest.raises(InvalidArtifactPath):
        md.add_code_to_path({"code": "../src"})
