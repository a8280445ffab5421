"""The draft editor's live preview: the answer split as the responder will post it on the case's
channel (channels/splitting.py) and, for a public reply, the personal data the server would refuse
(channels/pii.py). An X answer sent privately (by direct message) is split at the DM limit and is
not public. The browser asks; the rules stay on the server."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field

from channels.pii import public_answer_pii
from channels.splitting import limit_for, split_for_channel
from schemas import Channel


class PreviewRequest(BaseModel):
    case_id: str = Field(min_length=1, max_length=600, description="The case the draft answers.")
    text: str = Field(max_length=20000, description="The draft as typed so far.")
    private: bool = Field(
        default=False, description="The draft will be sent privately (an X mention answered by DM)."
    )


class PreviewPart(BaseModel):
    text: str = Field(description="The part as it will be posted, numbering included.")
    length: int = Field(description="Its length as the channel counts it.")


class Preview(BaseModel):
    channel: Channel
    unit: str = Field(description="What `length` counts: x_weighted, characters, ...")
    max_length: int | None = Field(description="The channel's limit per message; null for none.")
    parts: list[PreviewPart]
    public: bool = Field(description="The answer will be visible to everyone.")
    pii: list[str] = Field(description="Kinds of personal data that forbid posting this publicly.")


def preview(
    text: str,
    channel: Channel,
    public: bool,
    allowed_contacts: Iterable[str] = (),
    *,
    private: bool = False,
    addressee: str | None = None,
) -> Preview:
    """`public`: the case is a public question; `private`: the draft answers it by the private route,
    so it is split at that route's limit and the public personal-data guard does not apply;
    `addressee`: the handle a public X reply starts every part with, counted in its length."""
    limit = limit_for(channel, public=not private)
    public = public and not private
    parts = (
        [
            PreviewPart(text=part.text, length=limit.measure(part.text) if limit else len(part.text))
            for part in split_for_channel(text, channel, public=not private, addressee=addressee)
        ]
        if text.strip()
        else []
    )
    return Preview(
        channel=channel,
        unit=limit.name if limit else "characters",
        max_length=limit.max_units if limit else None,
        parts=parts,
        public=public,
        pii=[str(kind) for kind in public_answer_pii(text, allowed_contacts)] if public else [],
    )
