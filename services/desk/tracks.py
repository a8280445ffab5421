"""Two tracks for a question (docs/architecture.md, Deadlines): what the classifier says decides how
the desk offers to answer it.

- `analysis`: the classifier marks it `needs_analysis` (a calculation or a lookup of the citizen's
  records). The case screen puts the holding reply first (extend the term, and the holding reply is
  drafted in the citizen's language), so no citizen waits in silence while the analysis runs.
- `fast`: a direct question (intent `question`) that needs no analysis and has a strong suggested
  answer (the best match scores at least FAST_TRACK_MIN_SCORE): an operator can answer it from the
  suggestion in a minute. The queue marks it and filters by it (`track=fast`).

The track is stored on the case when it is created (`track`), so the queue filters on a plain field;
cases stored before tracks existed have none.
"""

from __future__ import annotations

from typing import Literal

from schemas import Classification, Intent

Track = Literal["fast", "analysis"]
TRACKS: tuple[Track, ...] = ("fast", "analysis")
# A suggested answer this similar to the question is the answer more often than not (the knowledge
# base's matches start at 0.2, see services/classifier/engine/faq.py).
FAST_TRACK_MIN_SCORE = 0.6


def track_of(classification: Classification) -> Track | None:
    if classification.needs_analysis:
        return "analysis"
    best = max((match.score for match in classification.faq), default=0.0)
    if classification.intent == Intent.question and best >= FAST_TRACK_MIN_SCORE:
        return "fast"
    return None
