"""The run store's changes journal (``<store>/changes.log``): a damaged line spoils only itself.

Writers append ``"\\n" + line + "\\n"``; stores written before that (no
leading newline) read the same. The end-to-end kill tests are in
``test_kill_hunt.py``.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litetrack import Client
from litetrack.entities import Metric, Param, ViewType
from litetrack.store.core import Store
from litetrack.store.index import _Journal
from litetrack.store.procs import owner_token, token_alive
from litetrack.store.runs import RunStore
from litetrack.store.search import query_runs

# What a killed writer or a power loss leaves: any bytes, often NULs or half a line.
garbage = st.one_of(
    st.binary(min_size=1, max_size=300),
    st.integers(1, 4096).map(lambda n: b"\x00" * n),
    st.sampled_from(
        [b"\xff\xfe\xc3(", b"abc\t~12 34", b"\t=", b"\t", b"0123456789abcdef\t1234abcd\t[\"x"]
    ),
)


def _ids(n: int) -> list[str]:
    return [uuid.uuid4().hex for _ in range(n)]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(junk=garbage, read_between=st.booleans())
def test_lines_after_garbage_are_read_whole(tmp_path_factory: pytest.TempPathFactory, junk: bytes,
                                            read_between: bool) -> None:
    """Garbage without a newline at the journal's end: the next writers' lines all read as written.

    ``read_between``: an index reads the journal while the garbage is its
    last bytes, and goes on from the offset it kept.
    """
    root = tmp_path_factory.mktemp("journal")
    runs = RunStore(root)
    a, b, c, d = _ids(4)
    runs.changed(a)
    with open(runs.journal_path, "ab") as f:
        f.write(junk.rstrip(b"\n") or b"\x00")
    first = _Journal.read(runs.journal_path, 0)
    assert a in first.ids
    runs.changed(b)
    token = runs.intend(c)
    summary = b"0badc0de\tx\ty\tz\n"
    runs.changed(d, summary)
    runs.changed(c, done=token)
    if read_between:
        rest = _Journal.read(runs.journal_path, first.end)
    else:
        rest = _Journal.read(runs.journal_path, 0)
    assert {b, c, d} <= rest.ids
    assert rest.summaries[d] == summary.rstrip(b"\n")
    assert b not in rest.summaries
    assert rest.intents[(c, token.decode())] == 0
    assert rest.end == os.path.getsize(runs.journal_path)


def _sweep(store_path: Path, n: int) -> tuple[str, list[str]]:
    c = Client(str(store_path))
    eid = c.create_experiment("sweep")
    ids = []
    for i in range(n):
        rid = c.create_run(eid, start_time=1000 + i).info.run_id
        c.log_batch(rid, metrics=[Metric("m", float(i), 0, 0)], params=[Param("p", str(i % 2))])
        c.set_terminated(rid)
        ids.append(rid)
    return eid, ids


def _answers(store: Store, eid: str) -> list[list[tuple[object, ...]]]:
    out = []
    for f in ("", "metrics.m >= 2", "params.p = '1'"):
        runs = query_runs(store, [eid], f, ViewType.ALL, 1000, ["metrics.m DESC"])
        out.append([(r.info.run_id, r.info.status, r.info.lifecycle_stage, dict(r.data.metrics))
                    for r in runs])
    return out


def _scan(store_path: Path, eid: str) -> list[list[tuple[object, ...]]]:
    store = Store(store_path)
    store._index = False
    return _answers(store, eid)


def _drop_index(store_path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store_path}/index.sqlite{suffix}").unlink(missing_ok=True)


def _parsed(journal: _Journal) -> tuple[object, ...]:
    return journal.ids, journal.summaries, journal.intents


def test_a_journal_of_the_previous_format_reads_the_same(store_path: Path) -> None:
    """Lines without the leading newline (stores written before it), alone or among new ones."""
    eid, ids = _sweep(store_path, 4)
    c = Client(str(store_path))
    c.log_metric(ids[0], "m", 50.0, step=1)  # announced and confirmed
    journal = store_path / "changes.log"
    new = journal.read_bytes()
    assert new.startswith(b"\n") and b"\n\n" in new
    # The previous writers' journal: the same lines, one after the other.
    old = new.replace(b"\n\n", b"\n").lstrip(b"\n")
    assert old.splitlines() == [line for line in new.splitlines() if line]
    journal.write_bytes(old)
    read_old = _Journal.read(journal, 0)
    (store_path / "new.log").write_bytes(new)
    assert _parsed(read_old) == _parsed(_Journal.read(store_path / "new.log", 0))
    assert read_old.end == len(old)
    _drop_index(store_path)
    reader = Store(store_path)
    assert _answers(reader, eid) == _scan(store_path, eid)
    # New lines after old ones, an old writer's line after new ones: read on
    # from the offset the index kept.
    c.log_metric(ids[1], "m", 60.0, step=1)
    c.delete_run(ids[2])
    with open(journal, "ab") as f:
        f.write(ids[3].encode() + b"\n")
    c.log_metric(ids[3], "m", 70.0, step=1)
    assert _answers(reader, eid) == _scan(store_path, eid)
    _drop_index(store_path)
    assert _answers(Store(store_path), eid) == _scan(store_path, eid)


_JUNK = [
    b"\xff\xfe\xc3(" + b"\x00" * 300,
    b"\x00\x00\n\t~\n\t=\n\t\t\t\n\xe2\x82",
    b"../../etc/passwd\tx",
    b"0" * 32 + b"\t~12",  # an announcement torn in its token: no writer holds it
]


@pytest.mark.parametrize("junk", _JUNK)
def test_garbage_in_the_middle_spoils_only_its_own_line(store_path: Path, junk: bytes) -> None:
    """Garbage between two lines (power lost, then appends): the lines after it keep their rows."""
    eid, ids = _sweep(store_path, 6)
    journal = store_path / "changes.log"
    data = journal.read_bytes()
    # Cut before the line that ends the fourth run: its leading newline stays with it.
    at = data.index(b"\n" + ids[3].encode() + b"\t")
    journal.write_bytes(data[:at] + junk + data[at:])
    read = _Journal.read(journal, 0)
    assert set(ids) <= read.ids
    assert set(ids) <= set(read.summaries)  # every ended run still carries its row
    _drop_index(store_path)
    store = Store(store_path)
    assert _answers(store, eid) == _scan(store_path, eid)
    index = store.search_index()
    assert index is not None
    assert index._meta(index._connect())["pending"] == "{}"
    # Written on after the garbage, and read on from there.
    c = Client(str(store_path))
    c.log_metric(ids[4], "m", 80.0, step=1)
    c.delete_run(ids[5])
    assert _answers(store, eid) == _scan(store_path, eid)


def test_a_torn_owner_token_names_no_live_writer() -> None:
    """A token torn by a killed writer is confirmed by nobody: its run is not re-read forever."""
    token = owner_token()
    assert token_alive(token)
    pid, start, host = token.split(" ", 2)
    assert not token_alive(pid)
    assert not token_alive(f"{pid} {start}")
    assert not token_alive(f"{pid} {start} ")
    assert not token_alive(f"{pid[:-1] or '0'}")
