"""The sandbox's memory: citizens and when they last wrote, what the system sent, the faults it was
asked for. In the process on purpose: a sandbox is a stand-in for the Cloud API on one machine."""

from __future__ import annotations

import base64
import itertools
import secrets
import time
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field

from channels.whatsapp.limits import WHATSAPP_MAX_CHARS, whatsapp_length
from channels.whatsapp.models import SendMessageRequest, StatusName

from .settings import SandboxSettings

FIRST_WA_ID = 77010000001
OUTSIDE_WINDOW = 131047


class GraphApiError(Exception):
    """An error answer of the Graph API, `{"error": {...}}`, with its HTTP status."""

    def __init__(
        self, status: int, code: int, title: str, details: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(title)
        self.status = status
        self.code = code
        self.title = title
        self.details = details
        self.headers = headers or {}

    def to_api(self) -> dict[str, Any]:
        return {
            "error": {
                "message": f"(#{self.code}) {self.title}",
                "type": "OAuthException",
                "code": self.code,
                "error_data": {"messaging_product": "whatsapp", "details": self.details},
                "fbtrace_id": base64.b64encode(secrets.token_bytes(15)).decode(),
            }
        }

    def status_error(self) -> dict[str, Any]:
        """The same error as it appears in a `failed` status's `errors[]`."""
        return {
            "code": self.code,
            "title": self.title,
            "message": self.title,
            "error_data": {"details": self.details},
        }


def outside_window(hours: float) -> GraphApiError:
    return GraphApiError(
        400,
        OUTSIDE_WINDOW,
        "Re-engagement message",
        f"Message failed to send because more than {hours:g} hours have passed since the customer last "
        "replied to this number.",
    )


class Faults(BaseModel):
    """Faults for the next `/messages` calls; each counter goes down by one per call."""

    rate_limit_next: int = Field(default=0, ge=0, description="Answer 429 code 130429 to the next N calls.")
    retry_after: int = Field(default=1, ge=0, description="Retry-After (s) of those answers.")
    fail_next: int = Field(default=0, ge=0, description="Answer a server error to the next N calls.")
    fail_status: int = Field(default=500, ge=500, le=599, description="Status of those errors.")
    delay_next: int = Field(default=0, ge=0, description="Record the next N messages, then wait delay_s.")
    delay_s: float = Field(default=0.0, ge=0, le=300, description="How long to wait.")


class Citizen(BaseModel):
    wa_id: str
    name: str
    last_wrote_at: float | None = None


class SandboxState:
    def __init__(self, settings: SandboxSettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        self.faults = Faults()
        self.sent: list[dict[str, Any]] = []
        self._citizens: dict[str, Citizen] = {}
        self._wamids = itertools.count(1)

    def check_credentials(self, authorization: str | None, phone_number_id: str) -> None:
        expected = f"Bearer {self.settings.channel.access_token.get_secret_value()}"
        if not authorization or not secrets.compare_digest(authorization.encode(), expected.encode()):
            raise GraphApiError(401, 190, "Invalid OAuth access token - Cannot parse access token", "")
        if phone_number_id != self.settings.channel.phone_number_id:
            raise GraphApiError(
                400,
                100,
                f"Unsupported post request. Object with ID '{phone_number_id}' does not exist",
                "Check the phone number id",
            )

    def citizen_writes(self, user: str, hours_ago: float = 0.0) -> tuple[Citizen, str]:
        """A citizen writes to the business number; returns them and the message's wamid."""
        citizen = self._citizen(user)
        citizen.last_wrote_at = self.clock() - hours_ago * 3600
        return citizen, self.new_wamid(citizen.wa_id)

    def send(self, request: SendMessageRequest) -> tuple[str, GraphApiError | None]:
        """Validate like the Cloud API and record the message. Returns its wamid and, when it may
        only fail later (the window in 'status' mode), the error of its `failed` status."""
        self._raise_injected_fault()
        body = request.text.body if request.text is not None else ""
        if request.type != "text" or request.text is None:
            raise GraphApiError(400, 100, "Invalid parameter", "The sandbox accepts text messages only")
        if not body.strip():
            raise GraphApiError(400, 100, "Invalid parameter", "Param text['body'] is required")
        if whatsapp_length(body) > WHATSAPP_MAX_CHARS:
            raise GraphApiError(
                400,
                100,
                "Invalid parameter",
                f"Param text['body'] must be at most {WHATSAPP_MAX_CHARS} characters long.",
            )
        late = None if self._in_window(request.to) else outside_window(self.settings.window_hours)
        if late is not None and self.settings.window_error == "http":
            raise late
        wamid = self.new_wamid(request.to)
        item = request.model_dump(mode="json", exclude_none=True)
        item["id"] = wamid
        self.sent.append(item)
        return wamid, late

    def take_delay(self) -> float:
        if self.faults.delay_next <= 0:
            return 0.0
        self.faults.delay_next -= 1
        return self.faults.delay_s

    def new_wamid(self, wa_id: str) -> str:
        # Real wamids are base64 of an opaque protobuf; only the prefix and uniqueness matter.
        raw = f"{wa_id}:{next(self._wamids)}:{secrets.token_hex(8)}".encode()
        return "wamid." + base64.b64encode(raw).decode()

    def sent_item(self, wamid: str) -> dict[str, Any] | None:
        return next((i for i in self.sent if i["id"] == wamid), None)

    def _in_window(self, wa_id: str) -> bool:
        citizen = self._citizens.get(wa_id)
        if citizen is None or citizen.last_wrote_at is None:
            return False
        return self.clock() - citizen.last_wrote_at < self.settings.window_hours * 3600

    def _raise_injected_fault(self) -> None:
        if self.faults.fail_next > 0:
            self.faults.fail_next -= 1
            raise GraphApiError(
                self.faults.fail_status, 131000, "Something went wrong", "Service temporarily unavailable"
            )
        if self.faults.rate_limit_next > 0:
            self.faults.rate_limit_next -= 1
            raise GraphApiError(
                429,
                130429,
                "Rate limit hit",
                "Cloud API message throughput has been reached.",
                headers={"Retry-After": str(self.faults.retry_after)},
            )

    def _citizen(self, user: str) -> Citizen:
        wa_id = user if user.isdigit() else None
        for citizen in self._citizens.values():
            if citizen.wa_id == wa_id or citizen.name == user:
                return citizen
        citizen = Citizen(wa_id=wa_id or str(FIRST_WA_ID + len(self._citizens)), name=user)
        self._citizens[citizen.wa_id] = citizen
        return citizen


def status_notification(
    settings: SandboxSettings,
    wamid: str,
    wa_id: str,
    status: StatusName,
    at: float,
    error: GraphApiError | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": wamid, "status": status, "timestamp": str(int(at)), "recipient_id": wa_id}
    if error is not None:
        entry["errors"] = [error.status_error()]
    return _notification(settings, {"statuses": [entry]})


def message_notification(
    settings: SandboxSettings, citizen: Citizen, wamid: str, text: str, at: float
) -> dict[str, Any]:
    message = {
        "from": citizen.wa_id,
        "id": wamid,
        "timestamp": str(int(at)),
        "type": "text",
        "text": {"body": text},
    }
    contact = {"profile": {"name": citizen.name}, "wa_id": citizen.wa_id}
    return _notification(settings, {"contacts": [contact], "messages": [message]})


def _notification(settings: SandboxSettings, fields: dict[str, Any]) -> dict[str, Any]:
    metadata = {
        "display_phone_number": settings.display_phone_number,
        "phone_number_id": settings.channel.phone_number_id,
    }
    value = {"messaging_product": "whatsapp", "metadata": metadata, **fields}
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": settings.business_account_id, "changes": [{"field": "messages", "value": value}]}],
    }


StatusChoice = Literal["sent", "delivered", "read", "failed"]
