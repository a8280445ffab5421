"""Danger described instead of named: urgency from two facts that are harmless alone.

«Маме с каждым днём хуже» is not urgent, nor is «лекарства не выдают»; together they are. Each
situation below is a pair of cue families that must both occur in one message:

* worsening health + medicine or treatment refused, stopped or run out;
* a person who cannot fend for themselves (bedridden, disabled, an infant, very old)
  + no heating, food or care;
* children + food gone, said indirectly (only tea, an empty fridge, nothing to give them);
* an accident at work + missing safety gear;
* a pregnant worker + threats, shouting, forced heavy work.

Patterns run on the folded model text (docs/architecture.md, Taxonomy): lower case, Kazakh letters
→ plain Cyrillic, Latin-script Kazakh transliterated (so one Cyrillic pattern covers Kazakh in
every script; «ы/и» and «й/и» vary in transliteration, hence the classes). English is separate.
Impatience («СРОЧНО ответьте») is not a cue: urgency comes from the situation, not the tone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_WORSENING = (
    r"(?:все|всё|еще|ещё|становит\w*|стало|с\s+каждым\s+днем)\s+(?:\w+\s+)?хуже|ухудш\w*|"
    r"состояни\w*\s+(?:\w+\s+)?(?:тяжел|критич|плох)\w*|слабеет|угаса\w*|"
    r"нашарла\w*|жагда[йи][ыи]\s+(?:\w+\s+)?(?:ауырла|нашар|мушкил)\w*|халы\s+(?:\w+\s+)?(?:ауыр|нашар)\w*|"
    r"getting\s+worse|worse\s+(?:every|each)\s+day|deteriorat\w*|condition\s+is\s+(?:critical|serious)"
)
_TREATMENT_DENIED = (
    r"(?:лекарств|препарат|инсулин|медикамент|реабилитац|лечени|операци|диализ|химиотерап|рецепт|"
    r"памперс|подгузник)\w*[^.!?\n]{0,50}?(?:не\s+(?:выда|да|назнача|дела|провод|оплач)\w*|"
    r"отказ\w*|закончил\w*|кончил\w*|нет\b|прекрат\w*|перестал\w*|нечем|не\s+на\s+что)|"
    r"(?:отказ\w*|перестал\w*|прекратил\w*|не\s+выда\w*)[^.!?\n]{0,40}?(?:в\s+)?(?:лекарств|инсулин|"
    r"реабилитац|лечени|операци|рецепт)\w*|"
    r"(?:дари|дари-дармек|емдеу|инсулин|оналту)\w*[^.!?\n]{0,40}?(?:токтат|бас\s+тарт|берилме|"
    r"бермей|жок|битти|таусыл)\w*|"
    r"(?:medicine|medication|insulin|treatment|prescription|rehab\w*|therapy|dialysis|chemo\w*|surgery|"
    r"operation)\w*[^.!?\n]{0,50}?"
    r"(?:ran\s+out|run\s+out|refused|denied|stopped|cancelled|not\s+given)|"
    r"(?:refused|denied|stopped|cancelled)\s+(?:\w+\s+){0,3}?(?:medicine|medication|insulin|treatment|"
    r"prescription|dialysis|chemo\w*|surgery|operation)"
)
_CANNOT_FEND = (
    r"лежач\w*|не\s+вста[её]т|не\s+встает|прикован\w*|парализ\w*|после\s+инсульта|инвалид\w*\s+(?:1|i|перв)|"
    r"младен\w*|новорожд\w*|грудн\w*\s+(?:ребен|малыш|дет)\w*|(?:ребенк\w*|ребенок|малыш\w*|дочк\w*|"
    r"сын\w*)\s+(?:\w+\s+)?(?:\d+|один|два|три|четыре|пять|шесть)\s+(?:месяц|недел)\w*|"
    r"престарел\w*|(?:бабушк|дедушк)\w*\s+(?:\d+\s+лет|не\s+ходит|слеп)\w*|"
    r"тосек\w*\s+(?:тартып|жатыр|жатыр\w*)|тосекте\s+жат\w*|тосектен\s+тур\w*|сал\s+болып|мугедек\w*|"
    r"саби\w*|нарест\w*|жана\s+туган|(?:бала\w*)\s+(?:\d+|бир|еки|уш|торт|бес|алты)\s+а[йи]л[ыи]к|"
    r"\bкарт\s+(?:адам|анам|акем)|"
    r"bedridden|paraly[sz]\w*|after\s+a\s+stroke|disabled|infant|newborn|(?:baby|child)\s+is\s+\w+\s+"
    r"(?:weeks?|months?)\s+old|elderly|frail"
)
_NO_CARE = (
    r"холодно|холод\b|замерза\w*|(?:нет|без)\s+(?:отоплени|угля|угол|дров|газа|света)\w*|"
    r"(?:угля|отоплени\w*|дров)\s+нет|отоплени\w*\s+(?:отключ|не\s+работ)\w*|"
    r"некому\s+\w+|никто\s+не\s+(?:приходит|помогает|ухаживает|навещает|кормит)|"
    r"(?:соц\w*|социальн\w*)\s+работник\w*\s+не\s+(?:приходит|ходит)|без\s+(?:ухода|присмотра|еды)|"
    r"нечего\s+есть|не\s+на\s+что\s+купить|купить\s+не\s+на\s+что|(?:смесь|смеси|детское\s+питание)\s+"
    r"(?:закончил|кончил|нет|не\s+на\s+что)\w*|"
    r"жылу\s+жок|суык|тонып|комир\w*\s+(?:\w+\s+){0,3}?(?:жок|акша\s+жок)|отын\s+жок|"
    r"(?:карайтын|карайтин|кутетин|комектесетин)\s+(?:адам|ешким)\w*\s+жок|ешким\s+(?:келмей|карамай)\w*|"
    r"(?:кызметкер|кызметкери)\s+келмей\w*|тамак\w*\s+жок|ауырып\s+кал\w*|"
    r"no\s+heating|heating\s+(?:\w+\s+){0,3}?(?:off|broken|cut)|freezing|no\s+food|nobody\s+(?:comes|helps|"
    r"cares|visits)|no\s+one\s+to\s+(?:care|help|look)|(?:without|no)\s+(?:care|coal|heat)"
)
_CHILDREN = r"дет[иья]\w*|ребен\w*|ребят\w*|бала\w*|children|kids|my\s+son|my\s+daughter"
_FOOD_GONE = (
    r"(?:сидят|живут|питаются)\s+на\s+(?:чае|хлебе|воде)|на\s+(?:одном|одной|одних)\s+(?:чае|хлебе|воде|"
    r"макарон\w*|картошке|каше)|только\s+(?:чай|хлеб|вода|макароны)|(?:холодильник|шкаф)\w*\s+"
    r"(?:\w+\s+)?пуст\w*|нечего\s+(?:дать|положить|приготовить)|нечем\s+(?:накормить|кормить)|"
    r"(?:не\s+ели|не\s+ел|голодн\w*|впроголодь|ложатся\s+спать\s+голодн\w*)|"
    r"тек\s+(?:шай|нан|су)|шай\s+ишип|нан\s+мен\s+су|тоназыткыш\w*\s+бос|беретин\s+ештене|"
    r"ештене\s+калмады|аш\s+(?:жур|отыр|жат)\w*|"
    r"only\s+(?:tea|bread|water)|(?:fridge|cupboard)\s+is\s+empty|hungry|haven'?t\s+eaten|"
    r"nothing\s+(?:left\s+)?to\s+(?:give|feed)"
)
_ACCIDENT = (
    r"сорвал\w*|упал\w*|падени\w*|травм\w*|пострадал\w*|погиб\w*|несчастн\w*\s+случа\w*|обрушил\w*|"
    r"завалил\w*|придавил\w*|покалечил\w*|кулап|жаракат\w*|апат\w*|каза\s+бол\w*|мертиб\w*|"
    r"fell|injur\w*|accident|killed|died|collapsed|crushed"
)
_NO_GEAR = (
    r"(?:страховочн|страховк|пояс|каск|касок|спецодежд|респиратор|защит\w*\s+средств|средств\w*\s+"
    r"(?:индивидуальной\s+)?защит|ограждени)\w*[^.!?\n]{0,30}?(?:не\s+(?:выда|да)\w*|нет\b)|"
    r"(?:не\s+(?:выда|да)\w*|нет|без)\s+(?:\w+\s+)?(?:страховочн|страховк|пояс|каск|касок|спецодежд|"
    r"респиратор|ограждени)\w*|"
    r"(?:белдик|каска|кау[ыи]пс[ыи]зд[ыи]к|корганыс|респиратор)\w*[^.!?\n]{0,40}?(?:берилмей|бермей|жок)\w*|"
    r"(?:no|without)\s+(?:\w+\s+)?(?:harness\w*|hard\s+hats?|helmets?|protective\s+\w+|safety\s+\w+)"
)
_PREGNANT = r"беремен\w*|в\s+положении|жукти\w*|екикабат\w*|pregnan\w*"
_INTIMIDATION = (
    r"угрож\w*|запуг\w*|кричит|орет|оскорбля\w*|давит|давят|застав\w*|принужд\w*|вынужда\w*|"
    r"уволить|уволят|уволю|по\s+статье|коркыт\w*|куамын|кудым|шыгарамын|кыс[ыи]м|а[йи]гайла\w*|"
    r"мажбурле\w*|котерт\w*|threat\w*|intimidat\w*|shout\w*|yell\w*|fire\s+me|forc\w*|harass\w*|bully\w*"
)

_SITUATIONS: dict[str, tuple[str, str]] = {
    "worsening_without_treatment": (_WORSENING, _TREATMENT_DENIED),
    "helpless_without_care": (_CANNOT_FEND, _NO_CARE),
    "children_without_food": (_CHILDREN, _FOOD_GONE),
    "accident_without_gear": (_ACCIDENT, _NO_GEAR),
    "pregnant_intimidated": (_PREGNANT, _INTIMIDATION),
}
# The first cues of all situations in one alternation: one scan finds which situations are
# possible, and only their second cue is searched (one pass instead of five per message).
_FIRST_CUES_RE = re.compile(
    r"\b(?:" + "|".join(f"(?P<{name}>{first})" for name, (first, _) in _SITUATIONS.items()) + ")"
)
# Cues can overlap («ребенку три месяца» is a helpless infant and a child): at each match every
# first cue is tried, so one situation's match does not hide another's.
_FIRST_CUE_RES = {name: re.compile(first) for name, (first, _) in _SITUATIONS.items()}
_SECOND_CUE_RES = {name: re.compile(rf"(?<!\w)(?:{second})") for name, (_, second) in _SITUATIONS.items()}
# Any second cue at all: most messages have none, and one search then stands for five.
_ANY_SECOND_CUE_RE = re.compile(r"(?<!\w)(?:" + "|".join(second for _, second in _SITUATIONS.values()) + ")")


@dataclass(frozen=True)
class DangerScan:
    markers: tuple[str, ...]  # situations with both cues present
    partial: bool  # some situation's first cue without its second: worth a human look


def danger_markers(model_text: str) -> tuple[str, ...]:
    """Names of the described dangers found in the folded text (both cues of a pair present)."""
    return scan_danger(model_text).markers


def _first_cues(model_text: str) -> set[str]:
    return {
        name
        for match in _FIRST_CUES_RE.finditer(model_text)
        for name, first in _FIRST_CUE_RES.items()
        if first.match(model_text, match.start())
    }


# Features for the urgency model: each situation's first cue and its second cue, apart. The
# model learns what half a danger weighs (a bedridden mother alone is not urgent; with other words
# it may be), which the rules, needing both cues, cannot say.
CUE_NAMES = tuple(f"{name}:{part}" for name in _SITUATIONS for part in ("first", "second"))


def danger_cues(model_text: str) -> list[float]:
    """1.0 or 0.0 per CUE_NAMES entry for the folded text."""
    first = _first_cues(model_text)
    any_second = _ANY_SECOND_CUE_RE.search(model_text) is not None
    cues: list[float] = []
    for name in _SITUATIONS:
        cues.append(1.0 if name in first else 0.0)
        cues.append(1.0 if any_second and _SECOND_CUE_RES[name].search(model_text) else 0.0)
    return cues


def scan_from_cues(cues: Sequence[float]) -> DangerScan:
    """The same DangerScan as scan_danger, from danger_cues of the text (no second scan)."""
    pairs = list(zip(cues[0::2], cues[1::2], strict=True))
    markers = tuple(
        name for name, (first, second) in zip(_SITUATIONS, pairs, strict=True) if first and second
    )
    return DangerScan(markers=markers, partial=any(first for first, _ in pairs) and not markers)


def scan_danger(model_text: str) -> DangerScan:
    """The described dangers in the folded text, and whether half of one was seen."""
    possible = _first_cues(model_text)
    markers = tuple(
        name for name in _SITUATIONS if name in possible and _SECOND_CUE_RES[name].search(model_text)
    )
    return DangerScan(markers=markers, partial=bool(possible) and not markers)
