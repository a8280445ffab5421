"""What the HTTP routes share: the desk's workflow, accounts, repository and settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request

from .accounts import Accounts
from .settings import DeskSettings
from .store import DeskRepository
from .workflow import Desk


@dataclass(frozen=True)
class DeskContext:
    settings: DeskSettings
    repo: DeskRepository
    desk: Desk
    accounts: Accounts


def desk_context(request: Request) -> DeskContext:
    return cast(DeskContext, request.app.state.desk)


Context = Annotated[DeskContext, Depends(desk_context)]
