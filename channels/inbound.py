"""The steps every inbound parser shares: decode a JSON body into a channel's model with a reason
that names fields (never values), and build the QuestionReceived with its text cleaned at the edge.

Control characters are removed where a message enters Jauap, whatever the channel: FerretDB on
PostgreSQL refuses a document holding a NUL (`\\u0000`), so one such character in a citizen's text
would fail every write of the question (a 500, or a consumer retrying for ever), and the other C0
controls are noise nobody typed on purpose. Line breaks and tabs stay; a carriage return becomes a
line break.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from schemas import Author, Channel, QuestionReceived

M = TypeVar("M", bound=BaseModel)

# C0 controls but tab (\x09) and line feed (\x0a); carriage returns are turned into line feeds first.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f]")
_CARRIAGE_RETURN = re.compile(r"\r\n?")


class InvalidInbound(ValueError):
    """Not the channel's payload; `reason` names fields, never values, so it is safe to return and
    to log. `malformed_json` tells a body that is not JSON at all (400) from a wrong shape (422)."""

    def __init__(self, reason: str, *, malformed_json: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.malformed_json = malformed_json


def describe_errors(exc: ValidationError) -> str:
    """`field.path: message; ...` for every validation error, without the values."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in exc.errors()
    )


def decode(model: type[M], body: bytes | str, what: str, error: type[InvalidInbound] = InvalidInbound) -> M:
    """A webhook or API body as `model`; raises `error` (the channel's own subclass) with a reason.
    `what` names the payload in that reason, e.g. "a Telegram Update"."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise error(f"body is not valid JSON: {type(exc).__name__}", malformed_json=True) from exc
    except RecursionError as exc:  # a few kB of brackets exhaust the decoder's stack; no payload nests so
        raise error(f"body nests too deeply to be {what}") from exc
    if not isinstance(data, dict):
        raise error("body is not a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(f"not {what}: {describe_errors(exc)}") from exc


def clean(text: str) -> str:
    """`text` without control characters (tabs and line breaks kept, CR and CRLF made LF)."""
    return _CONTROLS.sub("", _CARRIAGE_RETURN.sub("\n", text))


def clean_optional(text: str | None) -> str | None:
    return None if text is None else clean(text)


def has_text(text: str | None) -> bool:
    """Whether anything readable is left once controls and whitespace are removed."""
    return bool(text) and bool(clean(text or "").strip())


def question(
    *, channel: Channel, channel_message_id: str, text: str, author: Author, **fields: Any
) -> QuestionReceived:
    """QuestionReceived.new with every free text a citizen controls cleaned: the text, the author's
    name and handle, the contact and the strings kept in `raw`."""
    for name in ("contact", "region_hint"):
        if isinstance(fields.get(name), str):
            fields[name] = clean(fields[name])
    if "raw" in fields:
        fields["raw"] = _clean_raw(fields["raw"])
    return QuestionReceived.new(
        channel=channel,
        channel_message_id=channel_message_id,
        text=clean(text),
        author=author.model_copy(
            update={"name": clean_optional(author.name), "handle": clean_optional(author.handle)}
        ),
        **fields,
    )


def _clean_raw(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(str(k)): _clean_raw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_raw(v) for v in value]
    return value
