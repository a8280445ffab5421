import httpx
import pytest
from fastapi import FastAPI
from pymongo.errors import NetworkTimeout

from services.desk.api import install_error_handlers
from services.desk.cases import TransitionError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NetworkTimeout("store timed out"), 503),
        (TimeoutError("store timed out"), 503),
        (TransitionError("case is 'answered'"), 409),
    ],
)
async def test_errors_answer_with_a_status_and_what_to_do(error: Exception, status: int) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise error

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://desk") as http:
        response = await http.get("/boom")
    assert response.status_code == status
    assert response.json()["detail"]
