"""Environment variables: declared once in litetrack.settings, one truthiness rule, obeyed."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest

import litetrack
from litetrack import settings
from litetrack.errors import InvalidArgument
from litetrack.store import fs

PACKAGE = Path(litetrack.__file__).parent
ROOT = PACKAGE.parent


def _modules() -> list[Path]:
    own = PACKAGE / "settings.py"
    return sorted(p for p in PACKAGE.rglob("*.py") if p != own)


def test_only_settings_reads_the_environment() -> None:
    # Elsewhere os.environ may only be copied whole for a child process
    # (dict(os.environ, ...)); reading a variable goes through litetrack.settings.
    offences = []
    for path in _modules():
        tree = ast.parse(path.read_text("utf-8"), str(path))
        copies = {
            id(arg)
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "dict"
            for arg in node.args[:1]
        }
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
                if not (node.attr == "environ" and id(node) in copies):
                    offences.append(where)
            elif isinstance(node, ast.ImportFrom) and node.module == "os":
                if any(a.name in ("environ", "getenv", "environb") for a in node.names):
                    offences.append(where)
    assert offences == []


def test_the_scans_cover_the_moved_and_new_modules() -> None:
    # The layering moved the registry's storage to store/registry/ and added
    # payloads, paging and store/search; the AST checks here must see them.
    scanned = {p.relative_to(PACKAGE).as_posix() for p in _modules()}
    registry = {p.relative_to(PACKAGE).as_posix() for p in (PACKAGE / "store" / "registry").glob("*.py")}
    assert {"store/registry/store.py", "store/registry/pinning.py", "store/registry/importing.py"} <= registry
    assert registry <= scanned
    assert {"payloads.py", "paging.py", "store/search.py", "entities.py", "xgboost.py", "sklearn.py"} <= scanned


def test_only_yamlfmt_imports_pyyaml() -> None:
    # Every YAML read and write goes through litetrack.yamlfmt (lazy import,
    # the C loader, aliases refused for outside files).
    own = PACKAGE / "yamlfmt.py"
    offences = []
    for path in _modules():
        if path == own:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            if any(n == "yaml" or n.startswith("yaml.") or n.endswith(".yamlio") for n in names):
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offences == []


def test_every_variable_named_in_the_code_is_declared_and_documented() -> None:
    declared = {v.name for v in settings.VARIABLES}
    named = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if re.fullmatch(r"LITETRACK_[A-Z_]+", node.value):
                    named.add(node.value)
    assert named <= declared, named - declared
    guide = (ROOT / "docs" / "guide.md").read_text("utf-8")
    for name in declared:
        assert f"| `{name}` |" in guide, name


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "default"),
        ("", "default"),
        ("1", True),
        ("true", True),
        (" YES ", True),
        ("On", True),
        ("0", False),
        ("False", False),
        ("no", False),
        (" OFF", False),
    ],
)
@pytest.mark.parametrize("default", [True, False])
def test_one_truthiness_rule(
    monkeypatch: pytest.MonkeyPatch, value: str | None, expected: object, default: bool
) -> None:
    if value is None:
        monkeypatch.delenv("LITETRACK_INDEX", raising=False)
    else:
        monkeypatch.setenv("LITETRACK_INDEX", value)
    want = default if expected == "default" else expected
    assert settings.flag("LITETRACK_INDEX", default) is want


def test_a_value_that_is_no_switch_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITETRACK_FSYNC", "sometimes")
    with pytest.raises(InvalidArgument, match=r"LITETRACK_FSYNC='sometimes'.*1, true, yes, on"):
        settings.fsync_enabled()


def test_litetrack_fsync_really_fsyncs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The documented switch used to be read as LITETRACKFSYNC and did nothing.
    calls: list[int] = []
    real = os.fsync

    def counting(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    monkeypatch.delenv("LITETRACK_FSYNC", raising=False)
    fs.atomic_write(tmp_path / "a.json", b"{}")
    assert calls == []
    monkeypatch.setenv("LITETRACK_FSYNC", "1")
    fs.atomic_write(tmp_path / "b.json", b"{}")
    assert len(calls) >= 1
    calls.clear()
    with litetrack.start_run():
        litetrack.log_text("hello", "a.txt")  # a document and a stored object
    assert len(calls) >= 2


def test_mlflow_variables_are_honoured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from litetrack.store.location import default_store_path

    monkeypatch.delenv("LITETRACK_STORE")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"file://{tmp_path}/mlf")
    assert default_store_path() == tmp_path / "mlf"
    monkeypatch.setenv("LITETRACK_STORE", str(tmp_path / "lt"))
    assert default_store_path() == tmp_path / "lt"
