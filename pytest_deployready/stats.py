"""One percentile definition for every latency summary: ``api.sample``, ``redis.ping_latency``.

**Definition**: linear interpolation between the closest ranks — numpy's default
(``method="linear"``), PostgreSQL's ``percentile_cont``, Excel's ``PERCENTILE.INC``. For the
``n`` values sorted ``v[0] <= ... <= v[n-1]``, the ``p``-th percentile is ``v`` read at the
fractional index ``k = (n - 1) * p / 100``: ``v[floor(k)] + (v[floor(k) + 1] - v[floor(k)])
* (k - floor(k))``. It never lies outside the measured values; p0 is the minimum, p100 the
maximum, p50 the median.

The *nearest rank* method (the value at rank ``ceil(p / 100 * n)``) always returns one of the
measured values; this one moves smoothly between the two neighbours of ``k``. Both land on or
between the same two neighbouring values, so they differ by at most the gap between them —
which is large when ``n`` is small: for ``[10, 20]`` the nearest-rank p50 is 10 and p95 is 20,
the interpolated ones are 15 and 19.5; for ``[1, 2, 3, 4, 100]`` the nearest-rank p95 is 100,
the interpolated p95 is 80.8. With one value every percentile is that value.

Example::

    percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)  # 9.55
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["percentile"]


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) of ``values`` by linear interpolation between ranks.

    For sorted values ``v[0..n-1]`` the result is ``v`` interpolated at ``k = (n - 1) * p /
    100`` (see the module's docstring for how it differs from nearest rank).

    Example::

        percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)  # 9.55
        percentile([42.0], 99)  # 42.0
    """
    if not values:
        raise ValueError("percentile of an empty sequence")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be between 0 and 100, got {p}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
