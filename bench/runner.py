"""Timing one operation: warm-up runs, measured runs, a query count, one JSON line out."""

import gc
import json
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.test.utils import CaptureQueriesContext


@dataclass(frozen=True)
class RunConfig:
    scenario: str
    size: int
    db: str
    runs: int = 30
    warmup: int = 3


@dataclass(frozen=True)
class Timing:
    median_ms: float
    p95_ms: float
    queries: int


def measure(operation: Callable[[], object], *, runs: int, warmup: int) -> Timing:
    """Time `operation` `runs` times after `warmup` untimed runs.

    The query count comes from one more run after the measured ones, so that capturing the
    queries costs the timings nothing.
    """
    for _ in range(warmup):
        operation()
    gc.collect()
    timings: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        operation()
        timings.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as captured:
        operation()
    return Timing(
        median_ms=round(statistics.median(timings), 2),
        p95_ms=round(nearest_rank(timings, 95), 2),
        queries=len(captured.captured_queries),
    )


def nearest_rank(values: list[float], percentile: float) -> float:
    """The nearest-rank percentile: the smallest value with `percentile`% of values at or below."""
    ordered = sorted(values)
    rank = max(1, math.ceil(percentile / 100 * len(ordered)))
    return ordered[rank - 1]


def emit(config: RunConfig, operation: str, timing: Timing, floor: Timing | None = None) -> dict:
    """Print one operation's result as a JSON line on stdout, and return it."""
    result: dict[str, object] = {
        "scenario": config.scenario,
        "operation": operation,
        "size": config.size,
        "db": config.db,
        "runs": config.runs,
        "median_ms": timing.median_ms,
        "p95_ms": timing.p95_ms,
        "queries": timing.queries,
    }
    if floor is not None:
        result["floor_median_ms"] = floor.median_ms
        result["ratio"] = round(timing.median_ms / floor.median_ms, 2) if floor.median_ms else None
    print(json.dumps(result), flush=True)
    return result
