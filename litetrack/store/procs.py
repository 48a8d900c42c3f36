"""Who owns a run: pid, host and process start time, and whether it still lives.

A RUNNING run whose process is gone must be reported as KILLED. The pid alone
is not enough (pids are reused), so the owner's start time as the kernel
records it (``/proc/<pid>/stat`` field 22) is stored too and compared.
"""

from __future__ import annotations

import os
import socket
from functools import lru_cache


@lru_cache(maxsize=1)
def hostname() -> str:
    """This machine's host name (cached: it is asked for at every run start)."""
    return socket.gethostname()


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time) of a process from /proc, or None when unavailable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode("ascii", "replace")
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split
    # after the last ')'.
    rest = data[data.rfind(")") + 2 :].split()
    # rest[0] is field 3 (state); field 22 (starttime) is rest[19].
    if len(rest) < 20:
        return None
    return rest[0], rest[19]


_own: dict[int, str | None] = {}


def own_start_time() -> str | None:
    """This process's start time token (None where /proc is missing)."""
    pid = os.getpid()
    # Cached per pid so a forked child computes its own.
    if pid not in _own:
        stat = _proc_stat(pid)
        _own[pid] = stat[1] if stat else None
    return _own[pid]


def process_alive(pid: int | None, host: str | None, start: str | None) -> bool:
    """Whether the process that owns a run still exists.

    Returns True when it cannot be known (another host, no pid recorded):
    only a run we can prove dead is reported KILLED.
    """
    if pid is None or host is None or host != hostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    except OSError:
        return True
    stat = _proc_stat(pid)
    if stat is None:
        return True
    state, started = stat
    if state in ("Z", "X"):
        return False  # exited, not yet reaped by its parent
    if start is not None and started != start:
        return False  # the pid was reused by another process
    return True


def owner_token() -> str:
    """This process as the changes journal names it: ``"<pid> <start time> <host>"``.

    A writer announces a change to a run with it before making the change
    (see :meth:`litetrack.store.runs.RunStore.intend`), so that a reader can
    tell, once the writer is gone, that the change will never be confirmed.
    """
    return f"{os.getpid()} {own_start_time() or '-'} {hostname()}"


def token_alive(token: str) -> bool:
    """Whether the process named by an :func:`owner_token` may still exist (True when unknown)."""
    pid, _, rest = token.partition(" ")
    start, _, host = rest.partition(" ")
    try:
        number = int(pid)
    except ValueError:
        number = 0
    if number <= 0 or (not host and hostname()):
        # Not a token any writer writes (each ends with its host name), e.g.
        # one torn by a writer killed mid-append: nothing will confirm it.
        return False
    return process_alive(number, host or None, None if start == "-" else start)
