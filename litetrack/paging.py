"""Paging for every search (runs, experiments, registered models, versions).

One rule for ``max_results`` (MLflow's: a positive integer up to the search's
limit, 0 also for run searches, where it gives an empty page), one page-token codec (URL-safe base64 of ``{"offset": n}``)
and one result type, :class:`PagedList`, whose ``token`` is passed back as
``page_token`` for the next page.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from litetrack.errors import InvalidArgument

__all__ = [
    "EXPERIMENTS_MAX_RESULTS",
    "RUNS_MAX_RESULTS",
    "PagedList",
    "check_max_results",
    "decode_token",
    "encode_token",
    "page",
]

T = TypeVar("T")

#: MLflow's ``SEARCH_MAX_RESULTS_THRESHOLD``: the most runs one page may ask for.
RUNS_MAX_RESULTS = 50_000
#: The most experiments one page may ask for (MLflow's same threshold).
EXPERIMENTS_MAX_RESULTS = 50_000


class PagedList(list[T]):
    """A page of results; ``token`` fetches the next page (None on the last one)."""

    def __init__(self, items: Iterable[T], token: str | None) -> None:
        super().__init__(items)
        self.token = token


def encode_token(offset: int) -> str:
    """The page token of the page starting at ``offset``."""
    import base64  # base64 and its helpers cost more than the rest of this module

    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_token(token: str | None) -> int:
    """The offset a page token stands for (0 for None or ``""``).

    Raises :class:`InvalidArgument` for anything that is not a token this
    module made.
    """
    if not token:
        return 0
    import base64  # see encode_token

    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ValueError
        return offset
    except Exception:  # noqa: BLE001 - any garbage token gets the same clear error
        raise InvalidArgument(
            f"Invalid page token {token!r}: pass as page_token the .token of a previous "
            "search result"
        ) from None


def check_max_results(
    max_results: object, limit: int | None = None, *, allow_zero: bool = False
) -> int | None:
    """``max_results`` checked: None (no limit), or an integer from 1 to ``limit``.

    MLflow's rule, which differs per search: run searches take 0 (an empty
    page, ``allow_zero``), experiment and registry searches refuse it; above
    ``limit`` is "Invalid value for max_results" (``INVALID_PARAMETER_VALUE``).
    """
    if max_results is None:
        return None
    low = 0 if allow_zero else 1
    if (
        isinstance(max_results, bool)
        or not isinstance(max_results, int)
        or max_results < low
        or (limit is not None and max_results > limit)
    ):
        high = "" if limit is None else f" and at most {limit}"
        # "a positive integer", "at most N": MLflow's words, which code may match
        kind = "a positive integer" if low == 1 else "a non-negative integer"
        raise InvalidArgument(
            f"Invalid value for max_results: {max_results!r}; it must be {kind}{high}"
        )
    return max_results


def page(
    items: Sequence[T], max_results: int | None, page_token: str | None, limit: int | None = None
) -> PagedList[T]:
    """One page of ``items`` (all of them from the offset when ``max_results`` is None)."""
    size = check_max_results(max_results, limit)
    start = decode_token(page_token)
    end = None if size is None else start + size
    more = end is not None and end < len(items)
    return PagedList(items[start:end], encode_token(end) if more and end is not None else None)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a search builds a page of thousands of objects.

    Parsing 10,000 run views (or 1,000 model versions) and building their
    entities or table rows makes only acyclic objects, yet triggers a
    collection every 700 allocations, each walking everything alive: a
    quarter of a 10,000-run ``ls``, ~1 ms of a first registry search.
    Reference counting still frees everything; the collector runs again
    afterwards (unless someone else had turned it off).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
