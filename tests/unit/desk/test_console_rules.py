"""The console's pure parts: message catalogues, language choice, queue filters, personal-data
highlighting, which buttons a role gets, and the editor's split preview."""

import re
import string
from pathlib import Path

import pytest

from channels.pii import find_pii
from schemas import Channel, PiiSpan
from services.desk.cases import CaseStatus, CloseReason, DraftStatus
from services.desk.console import i18n
from services.desk.console.present import abilities, segments
from services.desk.console.preview import preview
from services.desk.console.queue import MAX_PAGE, QueueFilter

pytestmark = pytest.mark.unit

CONSOLE = Path(i18n.__file__).parent
# Keys built in templates from a prefix and a value, and the values they take.
DYNAMIC = {
    "status.": [s.value for s in CaseStatus],
    "draft.": [s.value for s in DraftStatus],
    "close.": [r.value for r in CloseReason],
    "channel.": [c.value for c in Channel],
    "channel.short.": [c.value for c in Channel],
    "pii.": ["iin", "phone", "email", "card"],
    "js.pii.": ["iin", "phone", "email", "card"],
    "js.unit.": ["x", "x_dm", "telegram", "whatsapp", "sms", "characters"],
    "role.": ["operator", "approver", "admin"],
    "lang.": ["ru", "kk", "en", "other"],
    "view.": ["urgent", "awaiting", "failed", "mine", "to_approve"],
    "resolve.": ["delivered", "not_delivered"],
    "urgency.": ["high", "normal"],
    "intent.": ["question", "proposal", "complaint", "gratitude", "other"],
    "topic.": [
        "pension",
        "pension_savings",
        "social_benefits",
        "disability",
        "employment",
        "labour_relations",
        "social_insurance",
        "migration",
        "other",
    ],
    "col.": ["channel", "topic", "urgency", "lang", "status", "region", "intent"],
}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_the_same_messages_with_the_same_placeholders() -> None:
    english = i18n.catalogue("en")
    for lang in i18n.LANGS:
        messages = i18n.catalogue(lang)
        assert messages.keys() == english.keys(), lang
        for key, text in messages.items():
            assert text.strip(), f"{lang}: {key} is empty"
            assert placeholders(text) == placeholders(english[key]), f"{lang}: {key}"


def test_templates_and_script_only_name_messages_that_exist() -> None:
    known = i18n.catalogue("en").keys()
    used: set[str] = set()
    for template in (CONSOLE / "templates").glob("*.html"):
        used |= set(re.findall(r"""_\(\s*["']([a-z_.]+[a-z_])["']""", template.read_text()))
    used |= set(
        re.findall(r"""\bt\(\s*["']([a-z_.]+)["']""", (CONSOLE / "static" / "console.js").read_text())
    )
    used |= {prefix + value for prefix, values in DYNAMIC.items() for value in values}
    assert used - known == set()
    assert len(used) > 100


def test_the_interface_language_is_the_remembered_one_else_the_browsers_else_russian() -> None:
    assert i18n.choose_lang("kk", "en-US,en;q=0.9") == "kk"
    assert i18n.choose_lang(None, "kk-KZ,ru;q=0.8") == "kk"
    assert i18n.choose_lang("fr", "de-DE,en;q=0.5") == "en"
    assert i18n.choose_lang(None, None) == "ru"


def test_translations_fall_back_to_english_then_to_the_key() -> None:
    assert i18n.Translator("kk")("queue.count", n=3) == "Өтініштер: 3"
    assert i18n.Translator("ru")("no.such.key") == "no.such.key"


def test_queue_filters_drop_unknown_values_and_default_to_open_cases() -> None:
    where = QueueFilter.from_params({"channel": "fax", "urgency": "high", "page": "-2", "q": "  a.b  "})
    assert where.channel is None and where.urgency == "high" and where.page == 1
    query = where.query()
    assert set(query["status"]["$in"]) == {"new", "drafted", "approving", "approved", "failed", "needs_human"}
    assert query["urgency"] == "high"
    assert query["text"] == {"$regex": r"a\.b", "$options": "i"}  # the search is literal text
    assert QueueFilter.from_params({"page": "999999"}).page == MAX_PAGE


def test_saved_views_choose_statuses_and_a_status_filter_wins() -> None:
    assert QueueFilter(view="failed").query()["status"] == {"$in": ["failed", "needs_human"]}
    assert QueueFilter(view="awaiting").query()["status"] == {"$in": ["drafted"]}
    assert QueueFilter(view="urgent").query()["urgency"] == "high"
    assert QueueFilter(view="failed", status="closed").query()["status"] == "closed"
    assert QueueFilter(channel="x", page=3).params(page=1) == "channel=x"
    assert QueueFilter(view="mine").query(["telegram:1"])["_id"] == {"$in": ["telegram:1"]}


def test_personal_data_is_cut_out_for_highlighting() -> None:
    text = "ИИН 900101300017, тел. +7 701 234 56 78."
    parts = segments(text)
    assert "".join(s.text for s in parts) == text
    assert [(s.text, s.pii) for s in parts if s.pii] == [
        ("900101300017", "iin"),
        ("+7 701 234 56 78", "phone"),
    ]
    assert segments(text, find_pii(text)) == parts


def test_stale_or_overlapping_spans_never_garble_the_text() -> None:
    spans = [
        PiiSpan(kind="phone", start=0, end=4),
        PiiSpan(kind="iin", start=2, end=6),
        PiiSpan(kind="card", start=8, end=99),
    ]
    parts = segments("abcdefghij", spans)
    assert "".join(s.text for s in parts) == "abcdefghij"
    assert [s.text for s in parts if s.pii] == ["abcd"]


def case_with(status: str, *drafts: tuple[str, str, str]) -> dict[str, object]:
    return {
        "status": status,
        "drafts": [
            {"id": draft_id, "status": "pending", "drafted_by": by, "drafted_by_role": role}
            for draft_id, by, role in drafts
        ],
    }


def test_only_approvers_get_approve_buttons_and_never_for_their_own_drafts() -> None:
    case = case_with("drafted", ("d1", "olga", "operator"), ("d2", "marat", "approver"))
    assert abilities(case, "olga", "operator", False).approvable_drafts == frozenset()
    assert abilities(case, "marat", "approver", False).approvable_drafts == {"d1"}
    assert abilities(case, "marat", "approver", True).approvable_drafts == {"d1", "d2"}
    assert abilities(case, "boss", "admin", False).approvable_drafts == {"d1", "d2"}
    closed = abilities(case_with("closed", ("d1", "olga", "operator")), "marat", "approver", False)
    assert not closed.draft and not closed.close and closed.approvable_drafts == frozenset()


def test_only_approvers_settle_an_unclear_delivery() -> None:
    assert abilities(case_with("needs_human"), "marat", "approver", False).resolve
    assert not abilities(case_with("needs_human"), "olga", "operator", False).resolve
    assert not abilities(case_with("failed"), "marat", "approver", False).resolve


def test_preview_splits_an_x_answer_as_the_responder_will() -> None:
    shown = preview("Пособие назначается в течение десяти рабочих дней. " * 8, Channel.x, public=True)
    assert shown.unit == "x" and shown.max_length == 280 and len(shown.parts) >= 2
    assert all(0 < part.length <= 280 for part in shown.parts)
    assert shown.parts[0].text.endswith(f"(1/{len(shown.parts)})")


def test_preview_warns_about_personal_data_only_in_public_replies() -> None:
    text = "Позвоните по номеру +7 701 234 56 78."
    assert preview(text, Channel.x, public=True).pii == ["phone"]
    assert preview(text, Channel.telegram, public=False).pii == []
    assert preview(text, Channel.x, public=True, allowed_contacts=["87012345678"]).pii == []
    assert preview("   ", Channel.telegram, public=False).parts == []
    assert preview("ok", Channel.webform, public=False).max_length is None


def test_a_private_x_answer_is_previewed_at_the_dm_limit_without_the_public_guard() -> None:
    text = "Перезвоним вам на +7 701 234 56 78, выплата назначена. " * 8
    public = preview(text, Channel.x, public=True)
    private = preview(text, Channel.x, public=True, private=True)
    assert len(public.parts) >= 2 and public.pii == ["phone"]
    assert private.unit == "x_dm" and private.max_length == 10000 and not private.public
    assert [part.text for part in private.parts] == [text.strip()] and private.pii == []


def test_only_a_public_x_case_offers_the_private_route() -> None:
    x_case = {**case_with("new"), "channel": "x", "public": True}
    assert abilities(x_case, "olga", "operator", False).private_route
    assert not abilities({**x_case, "public": False}, "olga", "operator", False).private_route
    assert not abilities({**x_case, "channel": "telegram"}, "olga", "operator", False).private_route
