"""LIKE / ILIKE matching cost: typical patterns and adversarial ones (issue 12 item 2).

    PYTHONPATH=. python benchmarks/bench_like.py

Prints microseconds per match (best of 5) for each pattern against a value of
the given length. Before the segment matcher, '%' * 10 + 'x' against 6,000
characters took seconds and each extra '%' multiplied it.
"""

from __future__ import annotations

import timeit

from litetrack.query import ilike, like

CASES = [
    ("typical %taxi%", "xgb-taxi-duration-v3", "%taxi%"),
    ("typical prefix", "xgb-taxi-duration-v3", "xgb-%"),
    ("typical _ and %", "xgb-taxi-duration-v3", "xgb-____-%-v_"),
    ("40 % then x, 100k chars", "a" * 100_000, "%" * 40 + "x"),
    ("%a x 40 then %x, 100k chars", "a" * 100_000, "%a" * 40 + "%x"),
    ("%_ x 40 then %x, 100k chars", "a" * 100_000, "%_" * 40 + "%x"),
    # The tail matches, so the middle segments are searched over the whole value.
    ("%b x 40 then %a, 100k chars", "a" * 100_000, "%b" * 40 + "%a"),
    ("%a_a x 40 then %, 100k chars", "ab" * 50_000, "%a_a" * 40 + "%"),
    ("%ab_ x 40 then %z, 100k chars", "abab" * 25_000 + "z", "%ab_" * 40 + "%z"),
]


def main() -> None:
    for label, value, pattern in CASES:
        for name, fn in (("LIKE", like), ("ILIKE", ilike)):
            fn(value, pattern)  # compile once (cached)
            n = 2000 if len(value) < 1000 else 5
            best = min(timeit.repeat(lambda: fn(value, pattern), number=n, repeat=5)) / n
            print(f"{name:5} {label:32} {best * 1e6:12.1f} us")


if __name__ == "__main__":
    main()
