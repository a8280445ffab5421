"""Classifier settings (`JAUAP_` environment variables)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.runtime.settings import ServiceSettings


class ClassifierSettings(ServiceSettings):
    service_name: str = "classifier"
    port: int = 8002
    batch_size: int = Field(default=500, ge=1, le=5000, description="Most questions classified at once.")
    model_path: Path | None = Field(
        default=None, description="Trained model artifact; built on first use when absent."
    )
    check_below: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description="A calibrated confidence below this on any field marks the case 'check classification'.",
    )
