"""E-mail has no length limit worth splitting for: an answer goes out as one message
(channels/splitting.py maps the e-mail channel to no limit). Only the question text is capped,
at what a QuestionReceived holds."""

from __future__ import annotations

MAX_QUESTION_CHARS = 20000
