"""The status page's words in the languages it speaks (the question's: ru, kk, en)."""

from __future__ import annotations

from typing import Final

TEXTS: Final[dict[str, dict[str, str]]] = {
    "ru": {
        "title": "Ваш вопрос министерству",
        "received": "Вопрос получен",
        "handled": "Вопрос рассматривается",
        "answered": "Ответ готов",
        "pending": "ещё нет",
        "answer": "Ответ министерства",
        "by_email": "также отправлен на вашу электронную почту",
        "waiting": "Ответ появится на этой странице, как только он будет готов. Обновите страницу позже.",
        "keep_link": "Сохраните ссылку на эту страницу: по ней виден ответ. Не передавайте её другим.",
        "received_at": "Получен",
    },
    "kk": {
        "title": "Министрлікке қойған сұрағыңыз",
        "received": "Сұрақ қабылданды",
        "handled": "Сұрақ қаралуда",
        "answered": "Жауап дайын",
        "pending": "әлі жоқ",
        "answer": "Министрліктің жауабы",
        "by_email": "электрондық поштаңызға да жіберілді",
        "waiting": "Жауап дайын болғанда осы бетте пайда болады. Бетті кейінірек жаңартыңыз.",
        "keep_link": "Осы беттің сілтемесін сақтаңыз: жауап осы жерде көрінеді. Оны басқаларға бермеңіз.",
        "received_at": "Қабылданған уақыты",
    },
    "en": {
        "title": "Your question to the ministry",
        "received": "Question received",
        "handled": "Question being handled",
        "answered": "Answer ready",
        "pending": "not yet",
        "answer": "The ministry's answer",
        "by_email": "also sent to your e-mail",
        "waiting": "The answer will appear on this page as soon as it is ready. Reload the page later.",
        "keep_link": "Keep the link to this page: the answer shows here. Do not share it.",
        "received_at": "Received",
    },
}
PAGE_LANGS: Final = tuple(TEXTS)  # the languages the page has words in
DEFAULT_LANG: Final = "ru"
# Plain text for a link that opens nothing: no language is known, so all three, and nothing that
# says whether the token was close, malformed or expired.
NOT_FOUND: Final = (
    "Страница не найдена. Проверьте ссылку, полученную после отправки вопроса.\n"
    "Бет табылмады. Сұрақты жібергеннен кейін алған сілтемені тексеріңіз.\n"
    "Page not found. Check the link you were given when you sent your question.\n"
)
TOO_MANY: Final = (
    "Слишком много запросов, попробуйте позже.\n"
    "Сұраулар тым көп, кейінірек қайталаңыз.\n"
    "Too many requests, try again later.\n"
)
UNAVAILABLE: Final = (
    "Страница временно недоступна, попробуйте позже.\n"
    "Бет уақытша қолжетімсіз, кейінірек қайталаңыз.\n"
    "The page is unavailable right now, try again later.\n"
)
