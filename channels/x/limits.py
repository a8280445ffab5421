"""X's post limit: 280 weighted characters as twitter-text v3 counts them (URLs 23, CJK/emoji 2)."""

from __future__ import annotations

from channels.splitting import X_MAX_WEIGHT, x_weighted_length

X_MAX_WEIGHTED = X_MAX_WEIGHT


def fits_in_tweet(text: str) -> bool:
    return 0 < x_weighted_length(text) <= X_MAX_WEIGHTED


__all__ = ["X_MAX_WEIGHTED", "fits_in_tweet", "x_weighted_length"]
