"""The web form's request runs on the event loop alone: FastAPI hands every plain `def` dependency
or endpoint to its thread pool, a hop there and back per request that the profile of
`jauap bench webform` showed costing more than the form's own work (docs/performance.md, Web form)."""

from __future__ import annotations

import inspect

import pytest
from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from services.intake import api, webhooks

pytestmark = pytest.mark.unit


def calls_in(dependant: Dependant) -> list[object]:
    calls: list[object] = [dependant.call] if dependant.call is not None else []
    for sub in dependant.dependencies:
        calls += calls_in(sub)
    return calls


@pytest.mark.parametrize(
    ("router", "path"), [(api.router, "/api/questions"), (webhooks.router, "/webhooks/telegram")]
)
def test_every_dependency_of_the_web_form_and_the_webhook_is_async(router: APIRouter, path: str) -> None:
    route = next(r for r in router.routes if isinstance(r, APIRoute) and r.path == path)
    in_thread_pool = [c for c in calls_in(route.dependant) if not inspect.iscoroutinefunction(c)]
    assert in_thread_pool == [], f"run in the thread pool per request: {in_thread_pool}"
