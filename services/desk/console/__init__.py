"""The operator console: server-rendered pages served by the desk, on top of its JSON API
(docs/architecture.md). Pages read through the desk's workflow; every change the browser makes goes
through `/api/...` with the session's CSRF token, so the API's role and four-eyes rules apply."""

from .pages import install

__all__ = ["install"]
