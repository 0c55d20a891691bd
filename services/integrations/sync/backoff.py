"""How long a connection waits after failures: exponential, capped, with jitter so
connections that failed together (a server down) do not all come back at once."""

from __future__ import annotations

import random

BASE_SECONDS = 30.0
CAP_SECONDS = 3600.0


def retry_delay(
    failures: int,
    *,
    base: float = BASE_SECONDS,
    cap: float = CAP_SECONDS,
    jitter: float = 0.2,
    rand: random.Random | None = None,
) -> float:
    """Seconds before the next try after ``failures`` consecutive failures (≥ 1):
    ``base``, 2×, 4×, … up to ``cap``, each moved by up to ±``jitter`` of itself (the
    result never exceeds ``cap``). No failures: 0."""
    if failures <= 0:
        return 0.0
    delay = min(cap, base * (2 ** min(failures - 1, 30)))
    if jitter:
        spread = delay * jitter
        delay += (rand or random).uniform(-spread, spread)
    return max(0.0, min(cap, delay))
