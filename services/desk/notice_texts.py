"""The notices a citizen gets when their appeal takes longer or goes elsewhere, in their language
(Russian, Kazakh or English; any other language gets Russian). They are drafts like any answer: an
approver other than their author approves them, and the responder posts them in the thread."""

from __future__ import annotations

from datetime import date

HOLDING = {
    "ru": "Здравствуйте! Мы проверяем сведения по вашему обращению и ответим до {date}. Спасибо за терпение.",
    "kk": "Сәлеметсіз бе! Өтінішіңіз бойынша мәліметтерді тексеріп жатырмыз, {date} дейін жауап береміз. "
    "Шыдамдылығыңызға рахмет.",
    "en": "Hello! We are checking the records concerning your request and will answer by {date}. "
    "Thank you for your patience.",
}
REDIRECT = {
    "ru": "Здравствуйте! Ваш вопрос не относится к компетенции министерства, поэтому мы направили его в "
    "{body}. Ответ вы получите оттуда.",
    "kk": "Сәлеметсіз бе! Сұрағыңыз министрліктің құзыретіне кірмейді, сондықтан ол мына органға "
    "жіберілді: {body}. Жауапты сол орган береді.",
    "en": "Hello! Your question is outside the ministry's remit, so we have forwarded it to {body}. "
    "You will get the answer from them.",
}
DEFAULT_LANG = "ru"


def holding_reply(lang: str, due: date) -> str:
    """We are checking …, and will answer by the (extended) due day, written dd.mm.yyyy."""
    return HOLDING.get(lang, HOLDING[DEFAULT_LANG]).format(date=due.strftime("%d.%m.%Y"))


def redirect_notice(lang: str, body: str) -> str:
    return REDIRECT.get(lang, REDIRECT[DEFAULT_LANG]).format(body=body)
