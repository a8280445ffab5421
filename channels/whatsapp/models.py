"""The WhatsApp Cloud API objects Jauap uses: the webhook payload (messages and statuses) and the
`/messages` send request, response and error body.

Inbound objects ignore fields they do not know (Meta adds fields often: pricing, identity hashes),
while the send request keeps unknown fields (`extra="allow"`) so the sandbox records a request
exactly as it was sent.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

WHATSAPP_BUSINESS_ACCOUNT = "whatsapp_business_account"
MAX_TEXT_CHARS = 4096
# Meta sends Unix seconds as strings; past 9999-12-31 a time cannot be represented.
MAX_UNIX_TIME = 253402300799
StatusName = Literal["sent", "delivered", "read", "failed", "played", "deleted", "warning"]


class _Inbound(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Profile(_Inbound):
    name: str | None = Field(default=None, description="The citizen's WhatsApp profile name.")


class Contact(_Inbound):
    wa_id: str = Field(min_length=1, max_length=32, description="The citizen's WhatsApp id (phone digits).")
    profile: Profile | None = Field(default=None, description="Profile of the sender.")


class Text(_Inbound):
    body: str = Field(max_length=MAX_TEXT_CHARS, description="The message text.")


class MessageContext(_Inbound):
    from_: str | None = Field(default=None, alias="from", description="Who sent the replied-to message.")
    id: str | None = Field(default=None, description="wamid of the message this one replies to.")


class Message(_Inbound):
    id: str = Field(min_length=1, max_length=256, description="The message's wamid.")
    from_: str = Field(alias="from", min_length=1, max_length=32, description="Sender's wa_id.")
    timestamp: int = Field(ge=0, le=MAX_UNIX_TIME, description="Unix seconds (a string on the wire).")
    type: str = Field(description="text, image, audio, sticker, location, reaction, ...")
    text: Text | None = Field(default=None, description="Present for type text.")
    context: MessageContext | None = Field(default=None, description="Set when replying to a message.")
    group_id: str | None = Field(default=None, description="Set for a message written in a group.")


class ErrorData(_Inbound):
    details: str | None = Field(default=None, description="Meta's explanation of the error.")


class StatusError(_Inbound):
    code: int = Field(description="Graph API error code, e.g. 131047 (outside the 24-hour window).")
    title: str | None = Field(default=None, description="Short title of the error.")
    message: str | None = Field(default=None, description="Error message.")
    error_data: ErrorData | None = Field(default=None, description="Details.")

    def describe(self) -> str:
        details = self.error_data.details if self.error_data and self.error_data.details else None
        text = " — ".join(p for p in (self.title or self.message, details) if p)
        return f"({self.code}) {text}" if text else f"({self.code})"


class Status(_Inbound):
    id: str = Field(min_length=1, max_length=256, description="wamid of the message we sent.")
    status: StatusName = Field(description="sent, delivered, read or failed (played, deleted: rare).")
    timestamp: int = Field(ge=0, le=MAX_UNIX_TIME, description="Unix seconds (a string on the wire).")
    recipient_id: str = Field(min_length=1, max_length=32, description="wa_id of the recipient.")
    errors: list[StatusError] = Field(default_factory=list, description="Why a message failed.")


class Metadata(_Inbound):
    display_phone_number: str | None = Field(default=None, description="The business number.")
    phone_number_id: str = Field(description="Id of the business number that received the update.")


class Value(_Inbound):
    messaging_product: Literal["whatsapp"] = Field(description="Always 'whatsapp'.")
    metadata: Metadata = Field(description="Which business number the update is for.")
    contacts: list[Contact] = Field(default_factory=list, description="Senders of `messages`.")
    messages: list[Message] = Field(default_factory=list, description="Messages citizens wrote.")
    statuses: list[Status] = Field(default_factory=list, description="Fate of messages we sent.")


class Change(_Inbound):
    field: str = Field(description="'messages' for messages and statuses.")
    value: Value = Field(description="The update.")


class Entry(_Inbound):
    id: str = Field(description="WhatsApp Business Account id.")
    changes: list[Change] = Field(description="Updates in this entry.")


class Notification(_Inbound):
    """The body of every webhook POST."""

    object: Literal["whatsapp_business_account"] = Field(description="Always whatsapp_business_account.")
    entry: list[Entry] = Field(min_length=1, description="One entry per business account.")

    def to_api(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class SendContext(BaseModel):
    model_config = ConfigDict(extra="allow")

    message_id: str = Field(description="wamid of the message this one replies to.")


class SendText(BaseModel):
    model_config = ConfigDict(extra="allow")

    body: str = Field(description="The text, at most 4096 characters.")
    preview_url: bool | None = Field(default=None, description="Render a preview of the first URL.")


class SendMessageRequest(BaseModel):
    """Body of `POST /{version}/{phone-number-id}/messages` for a text message."""

    model_config = ConfigDict(extra="allow")

    messaging_product: Literal["whatsapp"] = Field(description="Always 'whatsapp'.")
    recipient_type: Literal["individual", "group"] = Field(
        default="individual", description="Recipient kind."
    )
    to: str = Field(min_length=1, description="The recipient's wa_id or phone number.")
    type: str = Field(default="text", description="Message type; Jauap sends text only.")
    text: SendText | None = Field(default=None, description="The text, for type text.")
    context: SendContext | None = Field(default=None, description="The message this one replies to.")


class SendMessageResponse(BaseModel):
    model_config = ConfigDict(extra="allow")

    messaging_product: Literal["whatsapp"] = "whatsapp"
    contacts: list[dict[str, str]] = Field(default_factory=list, description="[{input, wa_id}]")
    messages: list[dict[str, str]] = Field(description="[{id: wamid}] of the message accepted.")


class GraphError(BaseModel):
    model_config = ConfigDict(extra="allow")

    message: str = Field(description="'(#CODE) Title' and sometimes more.")
    type: str = Field(default="OAuthException", description="Error class.")
    code: int = Field(description="Graph API error code.")
    error_subcode: int | None = Field(default=None, description="Often absent.")
    error_data: dict[str, Any] | None = Field(default=None, description="{messaging_product, details}.")
    fbtrace_id: str | None = Field(default=None, description="Meta's trace id, for support.")


class GraphErrorBody(BaseModel):
    """Every Graph API error answer: `{"error": {...}}`."""

    model_config = ConfigDict(extra="allow")

    error: GraphError

    def describe(self) -> str:
        details = (self.error.error_data or {}).get("details")
        return f"{self.error.message}" + (f": {details}" if details else "")
