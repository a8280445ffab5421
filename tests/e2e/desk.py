"""The desk as people use it in the end-to-end loops: an operator's draft approved by an approver,
and a case followed until it reaches a status."""

from __future__ import annotations

from typing import Any

import httpx

from tests.kafka_helpers import eventually


async def draft_and_approve(
    operator: httpx.AsyncClient,
    op_csrf: dict[str, str],
    approver: httpx.AsyncClient,
    ap_csrf: dict[str, str],
    case_id: str,
    text: str,
) -> str:
    """The operator's draft of `text` on the case, approved by the approver; returns the draft's id."""
    draft = await operator.post(f"/api/cases/{case_id}/drafts", json={"text": text}, headers=op_csrf)
    assert draft.status_code in (200, 201), draft.text
    draft_id = str(draft.json()["id"])
    approved = await approver.post(f"/api/drafts/{draft_id}/approve", headers=ap_csrf)
    assert approved.status_code == 200, approved.text
    return draft_id


async def in_status(
    desk: httpx.AsyncClient, case_id: str, status: str, timeout_s: float = 180
) -> dict[str, Any]:
    """The case once it has reached `status`."""

    async def reached() -> dict[str, Any] | None:
        body: dict[str, Any] = (await desk.get(f"/api/cases/{case_id}")).json()
        return body if body["status"] == status else None

    found = await eventually(reached, timeout_s=timeout_s)
    assert isinstance(found, dict), f"{case_id} never became {status}"
    return found
