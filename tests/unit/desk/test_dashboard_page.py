"""The Dashboard page's pieces without a server: every string in ru, kk and en, and the chart library
served from node_modules, or a message saying how to install it."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.desk.console import dashboard_page
from services.desk.console.i18n import LANGS, Translator, catalogue

pytestmark = pytest.mark.unit


def test_every_dashboard_string_is_in_every_language() -> None:
    keys = {key for key in catalogue("en") if key.startswith("dash.")} | {"nav.dashboard"}
    assert len(keys) > 50
    for lang in LANGS:
        assert keys <= set(catalogue(lang)), f"missing in {lang}: {sorted(keys - set(catalogue(lang)))}"
        shown = dashboard_page.labels(Translator(lang))
        raw = [
            text for group in shown.values() for text in group.values() if text.startswith(("dash.", "prop."))
        ]
        assert raw == [], f"{lang} shows keys instead of words: {raw}"


def test_the_labels_name_every_code_the_api_returns() -> None:
    shown = dashboard_page.labels(Translator("ru"))
    assert len(shown["region"]) == 20 and shown["region"]["KZ-75"] == "Алматы"
    assert set(shown["age"]) == {"lt_1d", "1_3d", "3_7d", "7_15d", "ge_15d"}
    assert set(shown["outcome"]) == {"met", "breached", "open_breached", "pending"}


async def test_the_chart_library_is_served_from_node_modules() -> None:
    assert dashboard_page.CHART_JS.is_file(), "run `make install` (npm ci) first"
    response = await dashboard_page.chart_library()
    assert response.status_code == 200 and response.media_type == "text/javascript"
    assert "Content-Security-Policy" in response.headers


async def test_a_missing_chart_library_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(dashboard_page, "CHART_JS", tmp_path / "chart.umd.min.js")
    response = await dashboard_page.chart_library()
    assert response.status_code == 503 and b"make install" in response.body
