"""Hand-written markers where rules are more reliable than the trained model.

All patterns run on the model text: folded (lower case, Kazakh letters → plain Cyrillic), so one
pattern covers Kazakh typed with or without its letters; Latin-script Kazakh arrives transliterated
(«zhalakym 3 ai» → «жалакым 3 аи», hence the [йи] classes).  Urgency follows DESIGN section 4:
threat to life or health, no income or food, eviction, months of unpaid wages, unsafe workplace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTHS_RU = (
    r"(?:\d+|два|двух|три|трех|четыре|четырех|пять|пяти|шесть|несколько|нескольких|полгода|"
    r"полугода|много|второй|третий|четвертый|пятый|шестой)"
)
_MONTHS_KK = r"(?:\d+|бирнеше|еки|уш|торт|бес|алты|жарты\s+жыл)"
_MONTHS_EN = r"(?:\d+|two|three|four|five|six|several|many)"
_WAGES = r"(?:зарплат|заработн|зп\b|жалакы|а[йи]лык|wage|salary|paid)"

_URGENCY_PATTERNS: dict[str, str] = {
    "no_food_ru": r"нечего\s+(?:есть|кушать|кормить)|нечем\s+(?:кормить|питаться)|голода\w*|"
    r"нет\s+(?:еды|продуктов)|без\s+еды|на\s+хлеб\s+(?:нет|не\s+хватает)",
    "no_money_ru": r"не\s+на\s+что\s+(?:жить|купить|кормить|есть)|нет\s+денег\s+(?:даже|на\s+еду|"
    r"на\s+хлеб|на\s+лекарств)|без\s+средств\s+к\s+существованию|ни\s+копейки|без\s+копейки|"
    r"остал\w*\s+без\s+(?:денег|средств|куска\s+хлеба)|живем\s+впроголодь",
    "eviction_ru": r"высел\w*|(?:выгоня|выгна)\w*\s+(?:нас\s+|меня\s+)?(?:из\s+(?:дома|квартир|жиль|"
    r"общежити)|на\s+улиц)|окаж\w*\s+на\s+улице|остал\w*\s+на\s+улице|"
    r"останемся\s+на\s+улице|бездомн\w*|без\s+крыши\s+над\s+головой",
    "life_ru": r"угроз\w*\s+(?:для\s+)?(?:жизни|здоровью)|опасн\w*\s+для\s+жизни|умира\w*|"
    r"покончить\s+с\s+собой|суицид\w*|не\s+хочу\s+жить|жить\s+не\s+хочется|при\s+смерти|"
    r"срочн\w*\s+(?:нужна\s+)?(?:операци|лечени)|несчастн\w*\s+случа\w*\s+на\s+(?:работе|"
    r"производстве|шахте)",
    "wages_ru": rf"{_WAGES}\w*[^.!?\n]{{0,50}}?{_MONTHS_RU}\s*(?:-х\s*)?(?:месяц|мес\b)|"
    rf"{_MONTHS_RU}\s*(?:-х\s*)?(?:месяц|мес\b)\w*[^.!?\n]{{0,40}}?(?:без\s+)?(?:{_WAGES}|не\s+плат|"
    r"не\s+выплач)",
    "unsafe_ru": r"без\s+(?:средств\s+)?(?:индивидуальной\s+)?защит\w*|нет\s+спецодежд\w*|"
    r"техник\w*\s+безопасност\w*\s+не\s+соблюда\w*|(?:угроз\w*|риск\w*)\s+обрушени\w*|"
    r"опасн\w*\s+услови\w*|травм\w*\s+на\s+(?:работе|производстве|шахте)|без\s+страховк\w*|"
    r"отравил\w*|обрушил\w*",
    "no_food_kk": r"же[йи]тин\s+(?:ештене|тамак)|тамак\s+жок|аш\s+отыр\w*|аштан\s+\w+|ашыгып|"
    r"нанга\s+(?:акша|да)\s+жок|тамак\w*\s+акша\s+жок",
    "no_money_kk": r"акша\s+(?:мулде\s+)?жок|каражат\s+жок|кун\s+коруге\s+\w*\s*жок|"
    r"кун\s+коретин\s+\w+\s+жок|табыс\w*\s+жок",
    "eviction_kk": r"(?:у[йи]ден|патерден|баспанадан)\s+(?:шыгар|куып)\w*|кошеде\s+кал\w*|"
    r"баспанасыз\s+кал\w*",
    "life_kk": r"омир\w*\s+кауип|олип\s+бара|озимди\s+олтир|омир\s+сургим\s+келмейди",
    "wages_kk": rf"{_MONTHS_KK}\s+а[йи](?:\s+бо[йи]ы)?[^.!?\n]{{0,50}}?(?:жалакы|а[йи]лык)|"
    rf"(?:жалакы|а[йи]лык)\w*[^.!?\n]{{0,50}}?{_MONTHS_KK}\s+а[йи]",
    "unsafe_kk": r"кауипсиздик\s+техникасы\s+сакталма\w*|корганыс\s+куралдарысыз|"
    r"кауипти\s+жагда[йи]\w*|(?:жумыста|ондиристе|шахтада)\s+(?:апат|жаракат)\w*|"
    r"апатка\s+ушыра\w*",
    "urgent_en": r"nothing\s+to\s+eat|no\s+food|starving|evict\w*|homeless|threat\s+to\s+(?:my\s+)?life|"
    rf"unsafe|no\s+money\s+(?:at\s+all|for\s+food)|{_MONTHS_EN}\s+months?\s+(?:without\s+(?:pay|salary|"
    rf"wages)|of\s+unpaid)|"
    rf"(?:not\s+been|haven'?t\s+been|wasn'?t)\s+paid\s+for\s+{_MONTHS_EN}\s+months?",
}

_GRATITUDE_RE = re.compile(
    r"спасибо|благодар\w*|признател\w*|рахмет|ракмет|алгыс\w*|ризамын|ризашылы\w*|"
    r"\bthank\w*|grateful"
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


@dataclass(frozen=True)
class RuleSignals:
    urgency_markers: tuple[str, ...]
    gratitude: bool
    proposal: bool
    needs_analysis: bool

    @property
    def urgent(self) -> bool:
        return bool(self.urgency_markers)


_URGENCY_RES = {name: re.compile(pattern) for name, pattern in _URGENCY_PATTERNS.items()}


def urgency_markers(model_text: str) -> tuple[str, ...]:
    return tuple(name for name, pattern in _URGENCY_RES.items() if pattern.search(model_text))


def is_gratitude(model_text: str) -> bool:
    """Thanks for something done: a thanks marker, no question and not «thanks in advance»."""
    if "?" in model_text or _THANKS_IN_ADVANCE_RE.search(model_text):
        return False
    return bool(_GRATITUDE_RE.search(model_text))


def signals(model_text: str) -> RuleSignals:
    return RuleSignals(
        urgency_markers=urgency_markers(model_text),
        gratitude=is_gratitude(model_text),
        proposal=bool(_PROPOSAL_RE.search(model_text)),
        needs_analysis=bool(_NEEDS_ANALYSIS_RE.search(model_text)),
    )
