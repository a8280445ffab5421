"""What `GET /api/dashboard` returns: one typed model per panel, so the OpenAPI document describes it.
Durations are hours; days are Almaty's days; codes (channel, topic, status, region) are the stored ones."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, get_args

from pydantic import BaseModel, Field

Panel = Literal[
    "questions", "regions", "backlog", "first_answer", "deadlines", "answers", "proposals", "clusters"
]
PANELS: tuple[Panel, ...] = get_args(Panel)


class Period(BaseModel):
    days: int = Field(description="How many days back the period reaches (the `days` parameter).")
    since: datetime = Field(description="Start of the period: midnight in Almaty, `days - 1` days ago.")
    until: datetime = Field(description="When the numbers were read.")
    day_list: list[date] = Field(description="The period's days in order; a daily series has one count each.")


class Series(BaseModel):
    key: str = Field(description="What the series counts: a channel, topic or language code, or a username.")
    counts: list[int] = Field(description="One count per day of `period.day_list`.")


class Questions(BaseModel):
    total: int = Field(description="Questions received in the period (counted by the store).")
    by_channel: list[Series]
    by_topic: list[Series]
    by_lang: list[Series]


class RegionRow(BaseModel):
    region: str = Field(description="ISO 3166-2:KZ code.")
    questions: int = Field(description="Questions from the region received in the period.")
    answered: int = Field(description="Of those, how many got a first answer.")
    median_hours: float | None = Field(description="Median hours to the first answer; null if none answered.")


class Regions(BaseModel):
    rows: list[RegionRow] = Field(description="All 20 regions, most questions first.")
    unknown: int = Field(description="Questions whose region is not known.")


class BacklogRow(BaseModel):
    status: str = Field(description="An open case status.")
    total: int = Field(description="Open cases in the status now (counted by the store).")
    by_age: list[int] = Field(description="Of those, how many are in each age bucket of `Backlog.buckets`.")


class Backlog(BaseModel):
    buckets: list[str] = Field(description="Age since receipt: under 1 day, 1-3, 3-7, 7-15, 15 days or more.")
    rows: list[BacklogRow]


class TimingRow(BaseModel):
    channel: str
    received: int = Field(description="Questions received on the channel in the period.")
    answered: int = Field(description="Of those, how many got a first answer.")
    median_hours: float | None = Field(description="Median hours from receipt to the first answer.")
    p90_hours: float | None = Field(description="90th percentile of the same (linear interpolation).")


class DeadlineRow(BaseModel):
    channel: str
    met: int = Field(description="First answered by the due time (working days, or the extended date).")
    breached: int = Field(description="First answered after the due time.")
    open_breached: int = Field(description="Still unanswered past the due time.")
    pending: int = Field(description="Unanswered, not yet due.")


class Answers(BaseModel):
    total: int = Field(description="Answers approved in the period.")
    by_approver: list[Series] = Field(description="Approved answers per day, per approver (most first).")


class ProposalRow(BaseModel):
    status: str
    n: int


class Proposals(BaseModel):
    total: int = Field(description="Proposals on the board (a cluster of proposal-intent cases counts once).")
    supporters: int = Field(description="Proposal-intent cases behind them, on every channel.")
    rows: list[ProposalRow] = Field(description="Proposals per board status, every status listed.")


class ClusterRow(BaseModel):
    cluster_id: str
    questions: int = Field(description="Cases of the cluster received in the last 7 days.")
    channels: dict[str, int] = Field(description="Those cases per channel.")
    case_id: str | None = Field(description="The cluster's earliest case.")
    topic: str | None = Field(description="That case's topic.")
    text: str = Field(description="That case's first line, personal data masked.")


class Dashboard(BaseModel):
    period: Period
    truncated: bool = Field(
        description="True when a period held more documents than the dashboard reads (the newest are "
        "read): daily series and durations then cover only those, while totals stay exact."
    )
    questions: Questions
    regions: Regions
    backlog: Backlog
    first_answer: list[TimingRow]
    deadlines: list[DeadlineRow]
    answers: Answers
    proposals: Proposals
    clusters: list[ClusterRow] = Field(description="The last 7 days' biggest clusters, biggest first.")
