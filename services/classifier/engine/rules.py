"""Hand-written markers where rules are more reliable than the trained model.

All patterns run on the model text: folded (lower case, Kazakh letters → plain Cyrillic), so one
pattern covers Kazakh typed with or without its letters; Latin-script Kazakh arrives transliterated
(«zhalakym 3 ai» → «жалакым 3 аи», hence the [йи] classes).  Urgency follows docs/architecture.md, Taxonomy:
threat to life or health, no income or food, eviction, months of unpaid wages, unsafe workplace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import topics
from .danger import DangerScan, scan_danger
from .intent_rules import grievance_question, insult_only, resolved
from .urgency import urgency_markers

_GRATITUDE_RE = re.compile(
    r"спасибо|благодар\w*|признател\w*|рахмет|ракмет|алгыс\w*|ризамын|ризашылы\w*|"
    r"\bthank\w*|grateful|"
    # Praise without the thanks words («молодцы», «жақсы жұмыс істейсіздер», «great job»).
    r"молодц\w*|так\s+держать|(?:отличн|хорош|прекрасн)\w*\s+работ\w*|хорошо\s+работаете|"
    r"вы\s+лучшие|жарайсыз\w*|жаксы\s+жумыс\s+(?:истейсиз\w*|жасап)|керемет\s+жумыс|"
    r"азаматсыз\w*|(?:great|good|excellent|awesome|nice)\s+(?:job|work)|well\s+done|keep\s+it\s+up"
)
# «Заранее спасибо» closes a question; it is not thanks for something done.
_THANKS_IN_ADVANCE_RE = re.compile(
    r"заранее\s+(?:спасибо|благодар\w*)|алдын\s+ала\s+рахмет|"
    r"thanks?\s+in\s+advance|спасибо\s+заранее"
)
_PROPOSAL_RE = re.compile(
    r"предлагаю|предлагаем|(?:мое|наше|есть|вношу|такое)\s+предложени\w*|предложение\s*:|прошу\s+рассмотреть\s+возможност\w*|"
    r"было\s+бы\s+(?:хорошо|правильно|лучше|неплохо|справедливо|удобно)|почему\s+бы\s+не|"
    r"стоит\s+(?:ввести|сделать|увеличить|создать|упростить|разрешить)|давайте\s+\w+|"
    r"усынамын|усынамыз|усыныс\w*|енгизу\s+керек|енгизсе|жаксы\s+болар\s+еди|"
    r"дурыс\s+болар\s+еди|i\s+(?:propose|suggest)|suggestion|it\s+would\s+be\s+(?:good|better|great)"
)
_NEEDS_ANALYSIS_RE = re.compile(
    r"сколько\s+(?:мне|я|будет|составит|получу|положено|у\s+меня)|"
    r"какой\s+(?:будет\s+)?(?:у\s+меня\s+)?размер\s+(?:моей|моего|мне)|"
    r"рассчита\w*|расчет\w*|перерасч\w*|пересчита\w*|"
    r"почему\s+(?:мне\s+)?(?:отказали|не\s+назначили|снизили|уменьшил\w*|прекратил\w*|"
    r"приостановил\w*|не\s+пришл\w*|не\s+поступ\w*|пришл\w*\s+меньше|сняли)|"
    r"мне\s+отказали|отказали\s+в\s+назначении|проверьте\s+(?:мои|мой|мою|моё|мое)|"
    r"(?:мои|моих)\s+(?:пенсионн\w*\s+)?накоплени\w*|остат\w*\s+(?:на\s+сч\w*|накоплени\w*)|"
    r"положено\s+ли\s+мне|мне\s+положен\w*|имею\s+ли\s+я\s+право|стаж\w*\s+не\s+учл\w*|"
    r"не\s+учли\s+\w*\s*стаж|"
    r"(?:менин|маган)\s+[^.?!]{0,30}канша|канша\s+(?:тиис|аламын|тусед\w*|болады\s+ма|акша)|"
    # «зейнетакым канша»: a possessive in -м before «канша»; one letter before the м is as good a
    # test as \w+ (which made the engine try every word from each of its letters).
    r"\wм\s+канша|неге\s+[^.?!]{0,40}(?:бас\s+тарт|берилмед\w*|токтатыл\w*|"
    r"азай\w*|тусп\w*|тагайындалмад\w*)|есептеп\s+бер\w*|жинагым\w*|шотымда\w*|"
    r"тиесили\s+ме|кукыгым\s+бар\s+ма|"
    r"how\s+much\s+(?:will\s+i|am\s+i|do\s+i|is\s+my)|why\s+(?:was|were)\s+(?:i|my)\s+\w*\s*"
    r"(?:refused|rejected|denied|stopped)|my\s+(?:balance|savings)|calculate"
)


# Not an appeal at all: a bare greeting, a test, advertising, spam or a scam.
_GREETING_ONLY_RE = re.compile(
    r"(?:(?:здравствуй\w*|добр\w+\s+(?:день|дня|утро|вечер|ночи|времени\s+суток)|доброго\s+\w+|"
    r"привет\w*|приветствую|салем\w*|салам\w*|салеметсиз\w*|саламатсыз\w*|"
    r"ассалаум\w*|армысыз\w*|кайырлы\s+(?:кун|тан|кеш)|\bбе\b|\bба\b|hello|hi|hey|good\s+(?:morning|"
    r"afternoon|evening)|greetings|всем|баршаныз\w*|everyone|all|there|уважаемые|дорогие)"
    r"[\s!?.,)(]*)+"
)
_NOT_AN_APPEAL_RE = re.compile(
    r"(?<!\w)(?:тестов\w*\s+(?:сообщени|хабарлам|вопрос|обращени)\w*|тест\s+хабарлама|"
    r"test\s+message|проверка\s+связи|подписыва\w*|подпишись|розыгрыш\w*|реклама\s*:|"
    r"заработ\w*\s+(?:в\s+интернете|онлайн|без\s+вложени|от\s+\d)|пассивн\w*\s+доход\w*|"
    r"без\s+вложени\w*|казино|ставк\w*\s+на\s+спорт|промокод\w*|переход\w*\s+по\s+ссылке|"
    r"вы\s+выиграли|ваш\s+выигрыш|код\s+из\s+смс|криптовалют\w*|"
    r"earn\s+(?:money|\$|\d)|click\s+the\s+link|you\s+(?:have\s+)?won|free\s+money|"
    r"сылтеме\w*\s+(?:бойынша\s+)?от\w*|утыс\s+ойын\w*|арнам\w*\s+жазыл\w*|"
    r"салымсыз\s+табыс|онлайн\s+табыс)"
)
_TEST_ONLY_RE = re.compile(r"(?:тест|test|testing|проверка|123|\d+|\s|[!.,?])+")
# A bare judgement is a complaint even without a question or a request («Безобразие»).
_JUDGEMENT_RE = re.compile(
    r"(?<!\w)(?:безобрази\w*|позор\w*|стыдно|стыд\b|возмутительн\w*|ужасн\w*|отвратительн\w*|"
    r"кошмар\w*|беспредел\w*|издевательств\w*|бардак|произвол|уят\w*|маскара|сорак\w*|"
    r"нашар\s+кызмет|terrible|awful|disgrace\w*|shameful|horrible|outrageous|unacceptable)"
)
# Asking how to do something: a question even when the message describes a hardship.
_HOW_TO_RE = re.compile(
    r"(?<!\w)(?:как\s+(?:мне\s+|нам\s+|можно\s+)?(?:оформить|получить|подать|встать|обратиться|"
    r"узнать|добиться|вернуть|взыскать)|куда\s+(?:мне\s+)?(?:обращаться|обратиться|идти|подавать|"
    r"жаловаться)|калай\s+(?:\w+\s+)?(?:алуга|ресимдеу|беруге|тиркел|жуги|отин)\w*|кайда\s+"
    r"(?:баруга|жугин|хабарлас)\w*|how\s+(?:do|can|should)\s+(?:i|we)|where\s+(?:do|can|should)\s+"
    r"(?:i|we)|"
    # Asking what to do about it: advice wanted, so a question.
    r"что\s+(?:мне\s+|нам\s+)?(?:делать|предпринять)|не\s+(?:истей(?:мин|миз)|истеу(?:им\w*|\s+керек))|"
    r"what\s+(?:should|can|do)\s+(?:i|we)\s+do)"
)


@dataclass(frozen=True)
class RuleSignals:
    urgency_markers: tuple[str, ...]
    gratitude: bool
    proposal: bool
    needs_analysis: bool
    not_an_appeal: bool = False
    judgement: bool = False
    how_to: bool = False
    grievance_question: bool = False
    resolved_thanks: bool = False
    # Half of a described danger (a bedridden person, but no deprivation named): not urgent, but
    # the urgency is uncertain and gets a low confidence so a person looks.
    urgency_uncertain: bool = False

    @property
    def urgent(self) -> bool:
        return bool(self.urgency_markers)


def is_gratitude(model_text: str) -> bool:
    """Thanks for something done: a thanks marker, no question and not «thanks in advance»."""
    if "?" in model_text or _THANKS_IN_ADVANCE_RE.search(model_text):
        return False
    return bool(_GRATITUDE_RE.search(model_text))


def is_not_an_appeal(model_text: str) -> bool:
    """A bare greeting, a test message, advertising, spam or a scam."""
    bare = model_text.strip()
    if _GREETING_ONLY_RE.fullmatch(bare) or _TEST_ONLY_RE.fullmatch(bare):
        return True
    return bool(_NOT_AN_APPEAL_RE.search(model_text))


def _content_free_insult(model_text: str) -> bool:
    """An insult naming nothing in the ministry's remit."""
    if not insult_only(model_text):
        return False
    hits = topics.keyword_hits(model_text)
    return not any(count for topic, count in hits.items() if topic != "other")


def signals(model_text: str, danger: DangerScan | None = None) -> RuleSignals:
    """The rules' findings; `danger` may be given when already known (danger.scan_from_cues)."""
    asks = "?" in model_text
    how_to = asks and bool(_HOW_TO_RE.search(model_text))
    gratitude = is_gratitude(model_text)
    # Thanks for a solved problem: the hardship it recalls is over, so it raises no urgency.
    resolved_thanks = gratitude and resolved(model_text)
    danger = danger or scan_danger(model_text)
    markers = () if resolved_thanks else urgency_markers(model_text, danger)
    return RuleSignals(
        urgency_markers=markers,
        gratitude=gratitude,
        proposal=bool(_PROPOSAL_RE.search(model_text)),
        needs_analysis=bool(_NEEDS_ANALYSIS_RE.search(model_text)),
        not_an_appeal=is_not_an_appeal(model_text) or _content_free_insult(model_text),
        judgement=not asks and not how_to and bool(_JUDGEMENT_RE.search(model_text)),
        how_to=how_to,
        grievance_question=not how_to and grievance_question(model_text),
        resolved_thanks=resolved_thanks,
        urgency_uncertain=danger.partial and not markers and not resolved_thanks,
    )
