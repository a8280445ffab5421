"""One bounded, repeatable hypothesis setting for the property tests, so CI time stays fixed.

`derandomize` makes every run try the same examples (a failure reproduces on any machine); the
example database is off so nothing is written into the working tree.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

BOUNDED = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
