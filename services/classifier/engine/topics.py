"""Topic keywords: domain terms that name a topic outright, as a prior for the trained model.

The model learns from a few thousand examples; these stems (folded, Russian/Kazakh/English)
carry the ministry's vocabulary it may not have seen in training, and the out-of-remit
vocabulary (roads, buses, police, schools, utilities…) that should end in `other`.
Each stem matches at a word start.  The engine adds a bounded bonus per topic to the model's
probabilities (see decide.topic_scores).
"""

from __future__ import annotations

import re

_TOPIC_STEMS: dict[str, tuple[str, ...]] = {
    "pension": (
        "пенси", "пенсионер", "зейнетак", "зейнеткер", "зейнетке", "выслуг", "заслуженн",
        "индексац", "индекстел", "солидарн", "трудов\\w*\\s+стаж", "стаж", "енбек\\s+отил",
        "pension", "retire",
        # Turkish, German, Uzbek: «other» languages still get their topic.
        "emekli", "rente", "pensiya",
    ),
    "pension_savings": (
        "енпф", "бжзк", "накоплен", "взнос", "жинак", "жарна", "аннуитет", "annuit", "достаточност",
        "жеткиликтилик", "пенсионн\\w*\\s+сч", "шотымда", "enpf", "savings", "contribution", "опв",
    ),
    "social_benefits": (
        "асп(?![а-яa-z])", "адресн", "атаулы", "пособи", "жардемак", "многодет", "копбалалы", "алтын\\s+алк",
        "малообеспеч", "аз\\s+камтыл", "кормильц", "асыраушы", "одиночк", "жалгызбасты",
        "соцзащит", "социальн\\w*\\s+помощ", "алеуметтик\\s+комек", "продуктов\\w*\\s+набор",
        "азык-тулик", "benefit", "large\\s+family", "low-income", "twins", "егиз", "двойн",
        "алимент", "бир\\s*жолгы", "единовремен", "аак(?![а-яa-z])", "атаулы\\s+алеуметтик",
        "one-off",
        "нафак", "nafaq", "nafaka", "kindergeld", "sosyal\\s+yard", "bolalar\\s+puli",
    ),
    "disability": (
        "инвалид", "мугедек", "мсэ", "мас(?![а-яa-z])", "медико-социальн", "коляск", "арбас", "протез",
        "слухов", "есту\\s+аппарат", "реабилитац", "оналту", "дцп", "церебрал", "сал\\s+ауру",
        "disab", "wheelchair", "prosthe", "cerebral", "hearing\\s+aid", "индивидуальн\\w*\\s+помощник",
        "жеке\\s+комекш", "ребен\\w*-инвалид", "медициналык-алеуметтик", "сараптам", "personal\\s+assistant",
        "engelli", "behindert", "nogiron",
    ),
    "employment": (
        "безработ", "жумыссыз", "занятост", "жумыспен\\s+камту", "карьерн", "мансап", "бирж(?!олг)",
        "enbek", "ваканси", "бос\\s+жумыс", "трудоустр", "устроит", "переобуч", "кайта\\s+даярла",
        "грант", "бастау", "практик", "рабоч\\w*\\s+мест", "жумыс\\s+орн", "общественн\\w*\\s+работ",
        "когамдык\\s+жумыс", "резюме", "туйиндеме", "ищу\\s+работ", "жумыс\\s+изде", "unemploy",
        "job", "retrain", "labour\\s+exchange", "graduat", "предпринимател", "касипкер",
    ),
    "labour_relations": (
        "зарплат", "заработн", "жалакы", "уволи", "увольн", "уволь", "жумыстан\\s+шыгар",
        "трудов\\w*\\s+договор", "енбек\\s+шарт", "отпуск", "демалыс", "сверхурочн", "переработ",
        "работодател", "жумыс\\s+беруши", "инспекци\\w*\\s+труда", "инспектор\\w*\\s+по\\s+труду",
        "енбек\\s+инспек", "охран\\w*\\s+труда", "техник\\w*\\s+безопасн", "касок", "каски", "спецодежд",
        "начальник", "бастык", "совместительств", "коса\\s+аткар", "расчетн\\w*\\s+лист",
        "по\\s+собственному", "wage", "salary", "dismiss", "fired", "employer", "overtime",
        "part-time", "annual\\s+leave", "отпускн",
        "işveren", "isveren", "lohn", "arbeitgeber", "oylik", "ish\\s+haqi",
    ),
    "social_insurance": (
        "гфсс", "маск(?![а-яa-z])", "соцстрах", "социальн\\w*\\s+страхован", "алеуметтик\\s+сактандыру",
        "декрет", "беременност", "жуктилик", "уход\\w*\\s+за\\s+ребенк", "бала\\s+кутим",
        "потер\\w*\\s+работ", "айырылу", "социальн\\w*\\s+отчислен", "алеуметтик\\s+аударым",
        "maternity", "social\\s+insurance", "job\\s+loss", "survivor",
    ),
    "migration": (
        "кандас", "оралман", "этническ", "этникалык", "переселен", "переезд", "кошип", "кошу",
        "коши-кон", "иностран", "шетел", "квот", "гражданств", "азаматтык", "адаптац",
        "бейимдеу", "kandas", "ethnic", "foreign", "resettle", "permit", "китая", "кытай",
        "монголи", "оралган", "тарихи\\s+отан", "историческ\\w*\\s+родин", "узбекистан",
        "каракалпак", "туркменистан", "returnee", "historical\\s+homeland",
    ),
    "other": (
        "дорог", "ямы", "шункыр", "автобус", "маршрутк", "аялдама", "остановк", "лифт", "подъезд",
        "кск", "полици", "школ", "мектеп", "детск\\w*\\s+сад", "балабакша", "поликлиник", "емхана",
        "врач", "дариге", "мусор", "кокыс", "фонар", "шамдар", "светофор", "интернет", "отоплен",
        "батаре", "паспорт", "толкужат", "водительск", "погод", "снег", "парк", "велодорож",
        "взятк", "road", "pothole", "bus", "streetlight", "police", "school",
        "weather", "garbage", "трамва", "такси", "жол\\s+жонде", "асфальт", "тротуар", "акимат\\s+район",
        "экологи", "выброс", "канализац", "вода\\s+не", "свет\\s+отключ", "электричеств",
        "заработ\\w*\\s+(?:в\\s+интернете|онлайн|без\\s+вложени)", "пассивн\\w*\\s+доход", "казино",
        "промокод", "криптовалют", "розыгрыш", "earn\\s+money", "молодц", "great\\s+job",
    ),
}  # fmt: skip

TOPICS = tuple(_TOPIC_STEMS)


# Every topic's stems in one alternation: one scan finds where keywords start, and only there is
# each topic's own pattern tried (a scan per topic cost about four times as much).
# (A lookahead, so a keyword inside another one's match is still found: «great job» is praise
# and a job.)
_ANY_STEM_RE = re.compile(
    r"\b(?=" + "|".join(stem for stems in _TOPIC_STEMS.values() for stem in stems) + ")"
)
_TOPIC_AT_RES = {topic: re.compile("|".join(stems)) for topic, stems in _TOPIC_STEMS.items()}


def keyword_hits(model_text: str) -> dict[str, int]:
    """How many topic keywords the (folded) text contains, per topic."""
    hits = dict.fromkeys(_TOPIC_STEMS, 0)
    ends = dict.fromkeys(_TOPIC_STEMS, 0)  # a topic's matches do not overlap (as with findall)
    for start in _ANY_STEM_RE.finditer(model_text):
        at = start.start()
        for topic, pattern in _TOPIC_AT_RES.items():
            if at >= ends[topic] and (match := pattern.match(model_text, at)):
                hits[topic] += 1
                ends[topic] = max(match.end(), at + 1)
    return hits
