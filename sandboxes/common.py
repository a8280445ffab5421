"""What every sandbox serves besides its channel's API (docs/architecture.md, Local stack): the
sandbox's state as a route dependency, and the control routes `POST /sandbox/faults`,
`POST /sandbox/reset`, `GET /healthz` and, for a sandbox that records what was posted to it,
`GET /sandbox/sent`. Each sandbox keeps its own `POST /sandbox/inbound` (its channel's way in)."""

# No `from __future__ import annotations`: FastAPI reads these routes' annotations, and the ones
# naming a function's argument (`keep`) only resolve when evaluated where the route is defined.
from collections.abc import Callable
from typing import Annotated, Any, Protocol

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel

SentItem = dict[str, Any]
KeepSent = Callable[[SentItem], bool]


class ControlledState(Protocol):
    """The part of a sandbox's state the control routes change."""

    faults: Any  # the sandbox's own pydantic Faults model

    def reset(self) -> None: ...


class RecordingState(ControlledState, Protocol):
    sent: list[SentItem]  # what the system posted, oldest first


def sandbox_state(request: Request) -> Any:
    """The route dependency for the sandbox's state: `Annotated[ItsState, Depends(sandbox_state)]`."""
    return request.app.state.sandbox


def keep_all() -> KeepSent:
    return lambda item: True


def add_control_routes(app: FastAPI, *, service: str, faults_model: type[BaseModel]) -> None:
    """`/sandbox/faults` takes and answers the sandbox's `faults_model`: the faults for its next calls."""

    async def faults(body: BaseModel, state: Annotated[ControlledState, Depends(sandbox_state)]) -> Any:
        state.faults = body
        return state.faults

    # FastAPI reads the request body's model from the annotation, which is each sandbox's own.
    faults.__annotations__["body"] = faults_model
    app.post("/sandbox/faults", tags=["sandbox"], response_model=faults_model)(faults)

    @app.post("/sandbox/reset", tags=["sandbox"])
    async def reset(state: Annotated[ControlledState, Depends(sandbox_state)]) -> dict[str, str]:
        state.reset()
        return {"status": "reset"}

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}


def add_sent_route(app: FastAPI, keep: Callable[..., KeepSent] = keep_all) -> None:
    """`/sandbox/sent`: `{"items": [...]}`, what was posted, oldest first. `keep` is a dependency
    whose query parameters filter the items (e.g. `?chat_id=`)."""

    @app.get("/sandbox/sent", tags=["sandbox"])
    async def sent(
        state: Annotated[RecordingState, Depends(sandbox_state)], wanted: Annotated[KeepSent, Depends(keep)]
    ) -> dict[str, list[SentItem]]:
        return {"items": [item for item in state.sent if wanted(item)]}
