"""The registry search cache (registry/.search-cache.jsonl) never changes an answer.

Every test compares a search served by the cache with the same search made by
reading the documents (``LITETRACK_INDEX=0``): after each kind of change, in
this process and another, with the cache deleted, damaged, behind the
journal, unwritable, and after writers killed between a document and its
journal line.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import litetrack
from litetrack import Client
from litetrack.store.core import current_store
from litetrack.store.registry import docs
from litetrack.store.registry.cache import CACHE_FILE, JOURNAL_FILE

ROOT = Path(__file__).resolve().parents[1]


def _reg() -> Any:
    return current_store().registry


def _forget() -> None:
    """Drop this process's copy of the cache, as a fresh process would start."""
    _reg()._cache = None


def _register(name: str, n: int = 1, **kw: Any) -> None:
    reg = _reg()
    for i in range(n):
        reg.create_version(
            name,
            f"runs:/{'ab' * 16}/model",
            {},
            run_id=kw.get("run_id", f"{i % 3:032x}"),
            tags=kw.get("tags", {"i": str(i % 4)}),
            create_model=True,
        )


FILTERS = [
    None,
    "name = 'taxi'",
    "name = 'other'",
    "name = 'missing'",
    "tags.i = '1'",
    "tags.i != '1' AND version_number > 2",
    f"run_id = '{1:032x}'",
    "current_stage = 'Production'",
    "name LIKE 'ta%' OR tags.k IS NOT NULL",
]


def _answers(monkeypatch: pytest.MonkeyPatch, **kw: Any) -> tuple[list[Any], list[Any]]:
    """(versions search, models search) with the cache, after checking the scan agrees."""
    c = Client()
    got = (c.search_model_versions(**kw), c.search_registered_models())
    monkeypatch.setenv("LITETRACK_INDEX", "0")
    try:
        want = (c.search_model_versions(**kw), c.search_registered_models())
    finally:
        monkeypatch.delenv("LITETRACK_INDEX")
    assert got == want
    assert [p.token for p in got] == [p.token for p in want]
    return list(got[0]), list(got[1])


def _all_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    for f in FILTERS:
        _answers(monkeypatch, filter_string=f)


@pytest.fixture
def registry(store_path: Path) -> Path:
    _register("taxi", 6)
    _register("other", 2)
    return store_path / "registry"


def test_searches_read_the_cache_not_the_version_documents(
    registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = Client()
    first = c.search_model_versions("name = 'taxi'")
    assert (registry / CACHE_FILE).is_file()
    _forget()  # a fresh process: loads the file

    def no_reads(path: str) -> dict[str, Any]:
        raise AssertionError(f"read {path}")

    monkeypatch.setattr(docs, "read_version_doc", no_reads)
    assert c.search_model_versions("name = 'taxi'") == first
    assert len(first) == 6


def test_every_kind_of_change_is_seen_by_the_next_search(
    registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = Client()
    _all_agree(monkeypatch)  # warm: later searches apply the journal in memory
    changes: list[Callable[[], Any]] = [
        lambda: c.transition_model_version_stage("taxi", 2, "Production"),
        lambda: c.transition_model_version_stage(
            "taxi", 3, "Production", archive_existing_versions=True
        ),
        lambda: c.set_registered_model_alias("taxi", "champion", 3),
        lambda: c.set_registered_model_alias("taxi", "champion", 4),
        lambda: c.delete_registered_model_alias("taxi", "champion"),
        lambda: c.set_model_version_tag("taxi", 1, "k", "v"),
        lambda: c.delete_model_version_tag("taxi", 1, "k"),
        lambda: c.update_model_version("taxi", 5, description="better"),
        lambda: c.set_registered_model_tag("other", "team", "ml"),
        lambda: c.update_registered_model("other", description="d"),
        lambda: c.delete_model_version("taxi", 3),
        lambda: _register("taxi", 2),
        lambda: c.rename_registered_model("other", "renamed"),
        lambda: c.delete_registered_model("renamed"),
        lambda: _register("renamed", 1),  # a new model under a deleted one's folder
        lambda: c.create_registered_model("empty"),
    ]
    for change in changes:
        change()
        versions, models = _answers(monkeypatch)
        _answers(monkeypatch, filter_string="tags.k = 'v'")
        _answers(monkeypatch, filter_string="name = 'renamed'")
    assert [m.name for m in models] == ["empty", "renamed", "taxi"]
    assert {(v.name, v.version) for v in versions} >= {("taxi", 8), ("renamed", 1)}


def test_changes_made_by_another_process_are_seen(
    registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import run_python

    before, _ = _answers(monkeypatch, filter_string="name = 'taxi'")
    run_python(
        "import litetrack; c = litetrack.Client()\n"
        "c.transition_model_version_stage('taxi', 1, 'Staging')\n"
        "c.set_registered_model_alias('taxi', 'best', 2)\n"
        "c.set_model_version_tag('taxi', 3, 'k', 'v')\n"
        "c.delete_model_version('taxi', 4)\n"
        "c.delete_registered_model('other')\n"
    )
    after, models = _answers(monkeypatch, filter_string="name = 'taxi'")
    by_version = {v.version: v for v in after}
    assert by_version[1].current_stage == "Staging"
    assert by_version[2].aliases == ["best"]
    assert by_version[3].tags["k"] == "v"
    assert 4 not in by_version and len(before) == 6
    assert [m.name for m in models] == ["taxi"]
    _all_agree(monkeypatch)


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"\x00\xff garbage \x13" * 50,
        b'{"format": 1, "journal": [1, 99999999], "mtime": 0, "models": []}\n',
        b'{"format": 999}\n',
        None,  # deleted
        "truncated",
    ],
)
def test_a_deleted_or_damaged_cache_changes_no_answer(
    registry: Path, monkeypatch: pytest.MonkeyPatch, damage: bytes | str | None
) -> None:
    _register("taxi", 40)  # enough to make the cache rewrite itself
    want = _answers(monkeypatch)
    path = registry / CACHE_FILE
    assert path.is_file()
    if damage is None:
        path.unlink()
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:
        assert isinstance(damage, bytes)
        path.write_bytes(damage)
    _forget()
    assert _answers(monkeypatch) == want
    _all_agree(monkeypatch)


def test_a_cache_behind_the_journal_catches_up(
    registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _answers(monkeypatch)
    saved = (registry / CACHE_FILE).read_bytes()
    _register("taxi", 3)
    Client().transition_model_version_stage("taxi", 7, "Production")
    (registry / CACHE_FILE).write_bytes(saved)  # as written before those changes
    _forget()
    versions, _ = _answers(monkeypatch, filter_string="name = 'taxi'")
    assert len(versions) == 9
    assert [v.version for v in versions if v.current_stage == "Production"] == [7]


def test_a_replaced_journal_rebuilds_the_cache(
    registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _answers(monkeypatch)
    journal = registry / JOURNAL_FILE
    data = journal.read_bytes()
    journal.unlink()
    journal.write_bytes(data)  # a new inode (a restore): offsets into the old one mean nothing
    Client().set_model_version_tag("taxi", 1, "k", "v")
    _forget()
    _all_agree(monkeypatch)


def test_model_folders_removed_or_added_by_hand_are_noticed(
    registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from litetrack.store.registry.checks import model_key

    _answers(monkeypatch)
    folder = registry / model_key("other")
    saved = registry.parent / "saved-other"
    shutil.move(folder, saved)
    # The folder's mtime moves in clock ticks: make this change visibly later.
    st = registry.stat()
    os.utime(registry, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    _, models = _answers(monkeypatch)
    assert [m.name for m in models] == ["taxi"]
    shutil.move(saved, folder)  # restored by hand
    os.utime(registry, ns=(st.st_atime_ns, st.st_mtime_ns + 2 * 10**9))
    _, models = _answers(monkeypatch)
    assert [m.name for m in models] == ["other", "taxi"]


def test_model_folders_removed_or_added_by_hand_in_one_clock_tick_are_noticed(
    registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder's mtime moves in clock ticks: changes in the tick the cache saw leave it equal."""
    from litetrack.store.registry import cache
    from litetrack.store.registry.checks import model_key

    frozen = registry.stat().st_mtime_ns
    # A filesystem whose tick outlasts this test: every change below lands in
    # the tick of the last registration, so the folder keeps the mtime it has now.
    monkeypatch.setattr(cache.SearchCache, "_folder_mtime", lambda self: frozen)
    from litetrack.store import fs

    monkeypatch.setattr(fs, "SETTLED_NS", 3600 * 10**9)
    _answers(monkeypatch)
    folder = registry / model_key("other")
    saved = registry.parent / "saved-other"
    shutil.move(folder, saved)
    _, models = _answers(monkeypatch)
    assert [m.name for m in models] == ["taxi"]
    shutil.move(saved, folder)  # restored by hand
    _, models = _answers(monkeypatch)
    assert [m.name for m in models] == ["other", "taxi"]


_KILL_AT_JOURNAL = """
import os, signal, sys
import litetrack
from litetrack.store.core import current_store
from litetrack.store.registry import cache
real = cache.journal
def journal(folder, entries):
    if any(e.count("/") == 1 and e.endswith(sys.argv[1]) for e in entries):
        os.kill(os.getpid(), signal.SIGKILL)  # the document is written; its line is not
    real(folder, entries)
cache.journal = journal
reg = current_store().registry
{action}
"""


def _killed(action: str, suffix: str) -> None:
    code = _KILL_AT_JOURNAL.replace("{action}", action)
    proc = subprocess.run(
        [sys.executable, "-c", code, suffix],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def test_a_registration_killed_before_its_journal_line_is_found_by_the_next_change(
    registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _answers(monkeypatch)
    _killed("reg.create_version('taxi', 'runs:/x/model', {}, tags={'lost': 'no'})", "/7")
    assert (registry / _key("taxi") / "versions" / "7.json").is_file()
    # The next change to the model (here a stage move) finds version 7 ...
    Client().transition_model_version_stage("taxi", 1, "Staging")
    versions, _ = _answers(monkeypatch, filter_string="name = 'taxi'")
    assert [v.version for v in versions if v.tags.get("lost")] == [7]
    # ... and so does a rebuild.
    (registry / CACHE_FILE).unlink()
    _forget()
    _answers(monkeypatch, filter_string="tags.lost = 'no'")
    # A registration after the killed one takes the next number and is found too.
    _register("taxi")
    versions, _ = _answers(monkeypatch, filter_string="name = 'taxi'")
    assert max(v.version for v in versions) == 8


def test_a_tag_write_killed_before_its_journal_line_is_found_by_a_rebuild(
    registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _answers(monkeypatch)
    _killed("reg.set_version_tag('taxi', 2, 'k', 'v')", "/2")
    assert (
        docs.read_version_doc(str(registry / _key("taxi") / "versions" / "2.json"))["tags"]["k"]
        == "v"
    )
    (registry / CACHE_FILE).unlink()
    _forget()
    versions, _ = _answers(monkeypatch, filter_string="tags.k = 'v'")
    assert [v.version for v in versions] == [2]
    # The version's next change is seen too (the cache re-reads the version it names).
    Client().set_model_version_tag("taxi", 2, "k", "w")
    versions, _ = _answers(monkeypatch, filter_string="tags.k = 'w'")
    assert [v.version for v in versions] == [2]


def test_a_rename_killed_before_its_folder_moved_is_finished_and_seen(
    registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _answers(monkeypatch)
    code = (
        "import os, signal, litetrack\n"
        "os.rename = lambda *a: os.kill(os.getpid(), signal.SIGKILL)\n"
        "litetrack.Client().rename_registered_model('other', 'renamed')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert (registry / _key("other") / "model.json").is_file()  # the folder did not move
    _, models = _answers(monkeypatch)
    assert [m.name for m in models] == ["renamed", "taxi"]
    versions, _ = _answers(monkeypatch, filter_string="name = 'renamed'")
    assert len(versions) == 2


_WRITER = """
import sys, litetrack
from litetrack.store.core import current_store
reg, c, name = current_store().registry, litetrack.Client(), sys.argv[1]
for i in range(15):
    mv = reg.create_version(name, "runs:/x/model", {}, tags={"w": name}, create_model=True)
    c.set_model_version_tag(name, mv.version, "k", str(i))
    c.transition_model_version_stage("taxi", 1 + i % 6, "Staging")
"""
_SEARCHER = """
import litetrack
from litetrack.store.core import current_store
c = litetrack.Client()
for i in range(40):
    c.search_model_versions()
    c.search_registered_models()
    if i % 10 == 0:
        current_store().registry._cache = None  # start again from the file, as a new process
"""


def test_concurrent_writers_and_searchers_leave_a_cache_that_agrees(
    registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _answers(monkeypatch)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, name], env=env, stderr=subprocess.PIPE)
        for name in ("w1", "w2", "taxi")
    ] + [
        subprocess.Popen([sys.executable, "-c", _SEARCHER], env=env, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
    versions, models = _answers(monkeypatch)  # this process's copy, brought up to date
    assert len(versions) == 6 + 2 + 3 * 15
    assert [m.name for m in models] == ["other", "taxi", "w1", "w2"]
    _forget()  # and the file as the searchers left it
    _all_agree(monkeypatch)
    _answers(monkeypatch, filter_string="tags.k = '14'")


def test_threads_searching_while_this_process_writes(
    registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    errors: list[BaseException] = []
    done = threading.Event()

    def search() -> None:
        c = Client()
        try:
            while not done.is_set():
                for v in c.search_model_versions():
                    assert v.version >= 1
                c.search_registered_models()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=search) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(40):
            _register("taxi")
            Client().set_model_version_tag("taxi", 1 + i % 6, "k", str(i))
    finally:
        done.set()
        for t in threads:
            t.join()
    assert errors == []
    _all_agree(monkeypatch)


def _key(name: str) -> str:
    from litetrack.store.registry.checks import model_key

    return model_key(name)


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
    }


_READER = """
import json, litetrack
c = litetrack.Client()
v = c.search_model_versions("name = 'taxi'")
m = c.search_registered_models()
print(json.dumps([[x.version, x.current_stage, x.tags] for x in v] + [[x.name for x in m]]))
"""


@pytest.mark.parametrize("cache_state", ["absent", "behind"])
def test_a_reader_without_write_permission_answers_and_writes_nothing(
    registry: Path, monkeypatch: pytest.MonkeyPatch, cache_state: str
) -> None:
    from test_cli_readonly import _chmod_tree, _drop_file_capabilities

    if sys.platform != "linux":
        pytest.skip("capability drop is Linux-only")
    import stat

    if cache_state == "behind":
        _answers(monkeypatch)
        Client().transition_model_version_stage("taxi", 2, "Production")
    else:
        assert not (registry / CACHE_FILE).exists()
    want = subprocess.run(
        [sys.executable, "-c", _READER],
        env={**os.environ, "PYTHONPATH": str(ROOT), "LITETRACK_INDEX": "0"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    store = registry.parent
    before = _tree(store)
    _chmod_tree(store, stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _READER],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=_drop_file_capabilities if os.geteuid() == 0 else None,
        )
    finally:
        _chmod_tree(store, 0)
        for p in [store, *store.rglob("*")]:
            p.chmod(stat.S_IMODE(p.stat().st_mode) | stat.S_IWUSR)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == want
    assert "Production" in want or cache_state == "absent"
    assert _tree(store) == before


def test_a_search_never_creates_a_store(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    litetrack.set_tracking_uri(str(missing))
    c = Client()
    assert c.search_model_versions() == [] and c.search_registered_models() == []
    assert not missing.exists()


def test_the_remote_registry_has_no_cache() -> None:
    from litetrack.store.remote.registry import RemoteRegistry

    assert RemoteRegistry.search_cache(None) is None  # type: ignore[arg-type]


# -- property: cache and scan agree over random operations -----------------------------

_NAMES = ["taxi", "other", "x y.z"]
_op = st.one_of(
    st.tuples(
        st.just("register"), st.sampled_from(_NAMES), st.integers(1, 4), st.sampled_from(["a", "b"])
    ),
    st.tuples(
        st.just("stage"),
        st.sampled_from(_NAMES),
        st.integers(1, 6),
        st.sampled_from(["None", "Staging", "Production", "Archived"]),
        st.booleans(),
    ),
    st.tuples(
        st.just("alias"), st.sampled_from(_NAMES), st.integers(1, 6), st.sampled_from(["c", "d"])
    ),
    st.tuples(st.just("unalias"), st.sampled_from(_NAMES), st.sampled_from(["c", "d"])),
    st.tuples(
        st.just("tag"),
        st.sampled_from(_NAMES),
        st.integers(1, 6),
        st.sampled_from(["a", "b", None]),
    ),
    st.tuples(st.just("delete_version"), st.sampled_from(_NAMES), st.integers(1, 6)),
    st.tuples(st.just("delete_model"), st.sampled_from(_NAMES)),
    st.tuples(st.just("rename"), st.sampled_from(_NAMES), st.sampled_from(_NAMES)),
    st.tuples(st.just("model_tag"), st.sampled_from(_NAMES), st.sampled_from(["a", "b"])),
    st.tuples(st.just("forget")),
    st.tuples(st.just("drop_cache")),
)
_VERSION_FILTERS = [
    None,
    "name = 'taxi'",
    "name = 'x y.z'",
    "tags.t = 'a'",
    "tags.t IS NULL",
    "current_stage = 'Production' OR version_number <= 2",
    f"run_id = '{1:032x}'",
    "name != 'other' AND tags.t != 'b'",
]
_VERSION_ORDERS = [
    None,
    ["version_number"],
    ["name DESC", "creation_timestamp"],
    ["tags.t", "current_stage DESC"],
]
_MODEL_FILTERS = [None, "name = 'taxi'", "tags.team = 'a'", "name LIKE '%x%'"]
_MODEL_ORDERS = [None, ["name DESC"], ["last_updated_timestamp DESC"], ["tags.team"]]


def _apply(op: tuple[Any, ...], store: Path) -> None:
    c = Client()
    kind, *args = op
    try:
        if kind == "register":
            name, n, t = args
            for i in range(n):
                _reg().create_version(
                    name,
                    "runs:/x/model",
                    {},
                    run_id=f"{i % 2:032x}",
                    tags={"t": t},
                    create_model=True,
                )
        elif kind == "stage":
            c.transition_model_version_stage(
                args[0],
                args[1],
                args[2],
                archive_existing_versions=args[3] and args[2] in ("Staging", "Production"),
            )
        elif kind == "alias":
            c.set_registered_model_alias(args[0], args[2], args[1])
        elif kind == "unalias":
            c.delete_registered_model_alias(args[0], args[1])
        elif kind == "tag":
            if args[2] is None:
                c.delete_model_version_tag(args[0], args[1], "t")
            else:
                c.set_model_version_tag(args[0], args[1], "t", args[2])
        elif kind == "delete_version":
            c.delete_model_version(args[0], args[1])
        elif kind == "delete_model":
            c.delete_registered_model(args[0])
        elif kind == "rename":
            c.rename_registered_model(args[0], args[1])
        elif kind == "model_tag":
            c.set_registered_model_tag(args[0], "team", args[1])
        elif kind == "forget":
            _forget()
        elif kind == "drop_cache":
            (store / "registry" / CACHE_FILE).unlink(missing_ok=True)
            _forget()
    except LookupError:
        pass  # a model or version that does not exist (the same for cache and scan)
    except litetrack.errors.AlreadyExists:
        pass


def _pages(search: Callable[..., Any], max_results: int, **kw: Any) -> Iterator[list[Any]]:
    token = None
    while True:
        page = search(max_results=max_results, page_token=token, **kw)
        yield list(page)
        token = page.token
        if not token:
            return


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ops=st.lists(_op, min_size=2, max_size=20),
    vfilter=st.sampled_from(_VERSION_FILTERS),
    vorder=st.sampled_from(_VERSION_ORDERS),
    mfilter=st.sampled_from(_MODEL_FILTERS),
    morder=st.sampled_from(_MODEL_ORDERS),
    size=st.integers(1, 5),
)
def test_property_cached_and_scanned_searches_agree(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ops: list[tuple[Any, ...]],
    vfilter: str | None,
    vorder: list[str] | None,
    mfilter: str | None,
    morder: list[str] | None,
    size: int,
) -> None:
    import uuid

    store = tmp_path / uuid.uuid4().hex
    litetrack.set_tracking_uri(str(store))
    c = Client()
    # A registry to work on (random operations on absent models mostly do nothing).
    _apply(("register", "taxi", 3, "a"), store)
    _apply(("register", "x y.z", 2, "b"), store)

    def both(fn: Callable[[], Any]) -> Any:
        got = fn()
        monkeypatch.setenv("LITETRACK_INDEX", "0")
        try:
            want = fn()
        finally:
            monkeypatch.delenv("LITETRACK_INDEX")
        assert got == want
        return got

    for op in ops:
        _apply(op, store)
        both(lambda: c.search_model_versions(vfilter, order_by=vorder, max_results=10_000))
    both(
        lambda: list(_pages(c.search_model_versions, size, filter_string=vfilter, order_by=vorder))
    )
    both(
        lambda: list(
            _pages(c.search_registered_models, size, filter_string=mfilter, order_by=morder)
        )
    )
    _forget()  # the file, as another process reads it
    both(
        lambda: list(_pages(c.search_model_versions, size, filter_string=vfilter, order_by=vorder))
    )
    both(lambda: c.search_registered_models(mfilter, order_by=morder))
