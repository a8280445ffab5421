"""Stored case documents as the lists (the API's queue, the console's queue) show them.

One document that no longer fits the Case model (written by hand, by an old version, or half-written
by a crash) must not take the whole page down with it: it is left out with a warning naming the case
and the fields at fault, and the rest of the page is shown."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import ValidationError

from .models import Case

Document = dict[str, Any]
log = logging.getLogger("desk.shown_cases")


def shown_cases(docs: Iterable[Document], present: Callable[[Document], Document]) -> list[Case]:
    """The documents as Case models, in order, without the malformed ones."""
    shown = []
    for doc in docs:
        case = shown_case(doc, present)
        if case is not None:
            shown.append(case)
    return shown


def shown_case(doc: Document, present: Callable[[Document], Document]) -> Case | None:
    try:
        return Case.model_validate(present(doc))
    except ValidationError as exc:
        # Field names only: the values are citizen text and personal data.
        fields = sorted({".".join(str(part) for part in error["loc"]) for error in exc.errors()})
        _skipped(doc, f"fields not as a case needs them: {', '.join(fields)}")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        _skipped(doc, f"{type(exc).__name__} while presenting it")
    return None


def _skipped(doc: Document, why: str) -> None:
    case_id = doc.get("_id") if isinstance(doc, dict) else None
    log.warning(
        "a malformed case left out of the list; fix or close it in the store",
        extra={"case_id": str(case_id), "reason": why},
    )
