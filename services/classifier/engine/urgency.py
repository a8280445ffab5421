"""Urgency markers (docs/architecture.md, Taxonomy): threat to life or health, no income or food, eviction,
months of unpaid wages, unsafe workplace.

Patterns run on the folded model text (lower case, Kazakh letters → plain Cyrillic; Latin-script
Kazakh transliterated, so «zhalakym 3 ai» arrives as «жалакым 3 аи», hence the [йи] classes).
Each names a concrete situation; a bare topic word («травма», «зарплата») is not urgent.
"""

from __future__ import annotations

import re

from .danger import DangerScan, scan_danger

_MONTHS_RU = (
    r"(?:\d+|два|двух|три|трех|четыре|четырех|пять|пяти|шесть|несколько|нескольких|полгода|"
    r"полугода|много|второй|третий|четвертый|пятый|шестой)"
)
_MONTHS_KK = r"(?:\d+|бирнеше|еки|уш|торт|бес|алты)"
_MONTHS_EN = r"(?:\d+|two|three|four|five|six|several|many)"
_WAGES = r"(?:зарплат|заработн|зп\b|жалакы|а[йи]лык|wage|salary|paid)"
_MONTH_NAMES_RU = (
    r"(?:января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря|"
    r"нового\s+года|начала\s+года|прошлого\s+года)"
)
_MONTH_NAMES_KK = (
    r"(?:кантар|акпан|наурыз|сауир|мамыр|маусым|шилде|тамыз|кыркуйек|казан|караша|желтоксан|"
    r"жыл\s+басы)"
)
_MONTH_NAMES_EN = r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
_UNPAID = r"(?:не\s+плат|не\s+выплач|не\s+получ|не\s+дают|задерж|не\s+выдаю|долг)"
_UNPAID_KK = r"(?:толенбе|толемей|бермей|берилмей|жок|алмай|кешик)"

_URGENCY_PATTERNS: dict[str, str] = {
    "no_food_ru": r"нечего\s+(?:есть|кушать|кормить|покушать)|нечем\s+(?:кормить|питаться)|голода\w*|"
    r"нет\s+(?:еды|продуктов)|без\s+еды|на\s+хлеб\s+(?:нет|не\s+хватает)|"
    r"(?:не\s+хватает|не\s+осталось)\s+(?:даже\s+)?на\s+(?:еду|хлеб|продукт)|"
    r"денег\s+(?:даже\s+)?на\s+(?:еду|хлеб|продукт|лекарств)\w*\s+(?:нет|не\s+хватает|не\s+осталось)",
    "no_money_ru": r"не\s+на\s+что\s+(?:жить|купить|кормить|есть)|нет\s+денег\s+(?:даже|на\s+еду|"
    r"на\s+хлеб|на\s+лекарств|на\s+продукт)|без\s+средств\s+к\s+существованию|ни\s+копейки|"
    r"без\s+копейки|остал\w*\s+без\s+(?:денег|средств|куска\s+хлеба|дохода|заработка)|"
    r"живем\s+впроголодь|без\s+(?:единого|всякого|какого-либо|никакого|какого\s+либо)\s+дохода|"
    r"(?:нет|нету)\s+(?:никакого\s+|ни\s+одного\s+)?дохода|(?:никакого\s+)?дохода\s+(?:нет|нету)|"
    r"ни\s+одного\s+дохода|живем\s+без\s+(?:дохода|денег)",
    "eviction_ru": r"высел\w*|(?:выгоня|выгна)\w*\s+(?:нас\s+|меня\s+)?(?:из\s+(?:дома|квартир|жиль|"
    r"общежити)|на\s+улиц)|окаж\w*\s+на\s+улице|остал\w*\s+на\s+улице|"
    r"останемся\s+на\s+улице|бездомн\w*|без\s+крыши\s+над\s+головой|"
    r"(?:требу\w*|велел\w*|сказал\w*)\s+(?:\w+\s+)?освободить\s+(?:квартиру|жиль|дом|комнату)|"
    r"(?:забира|отбира)\w*\s+(?:у\s+нас\s+)?(?:квартиру|дом|жиль)",
    "life_ru": r"угроз\w*\s+(?:для\s+)?(?:жизни|здоровью)|опасн\w*\s+для\s+жизни|умира\w*|"
    r"покончить\s+с\s+собой|суицид\w*|не\s+хочу\s+жить|жить\s+не\s+хочется|при\s+смерти|"
    r"срочн\w*\s+(?:нужна\s+)?(?:операци|лечени)|несчастн\w*\s+случа\w*\s+на\s+(?:работе|"
    r"производстве|шахте)|лежач\w*[^.!?\n]{0,60}(?:некому|никого|одн[аи]\b|без\s+помощи)|"
    r"прикован\w*\s+к\s+постели|некому\s+(?:ухаживать|помочь|присмотреть|за\s+н)|"
    r"(?:нет|без|закончил\w*)\s+(?:денег\s+на\s+)?лекарств|лекарств\w*\s+(?:закончил|нет|не\s+на\s+что)|"
    r"получил\w*\s+(?:тяжел|серьезн)\w*\s+травм|тяжел\w*\s+травм|сломал\w*\s+(?:ногу|руку|"
    r"позвоночник|ребр|спину)|пострадал\w*\s+на\s+(?:работе|производстве|шахте|объекте)|"
    r"(?:удар\w*|убил\w*)\s+током|током\s+(?:удар|убил)",
    "wages_ru": rf"{_WAGES}\w*[^.!?\n]{{0,50}}?{_MONTHS_RU}\s*(?:-х\s*)?(?:месяц|мес\b)|"
    rf"{_MONTHS_RU}\s*(?:-х\s*)?(?:месяц|мес\b)\w*[^.!?\n]{{0,40}}?(?:без\s+)?(?:{_WAGES}|не\s+плат|"
    r"не\s+выплач)|"
    rf"(?:полгода|пол\s+года|целый\s+год|месяцами)\s+(?:уже\s+)?(?:без\s+{_WAGES}|{_UNPAID}|"
    rf"не\s+видим\s+{_WAGES})|{_WAGES}\w*[^.!?\n]{{0,50}}?(?:полгода|пол\s+года|месяцами|"
    r"больше\s+года|уже\s+год)(?!\s+назад)",
    "unsafe_ru": r"без\s+(?:средств\s+)?(?:индивидуальной\s+)?защит\w*|нет\s+спецодежд\w*|"
    r"техник\w*\s+безопасност\w*\s+не\s+соблюда\w*|(?:угроз\w*|риск\w*)\s+обрушени\w*|"
    r"опасн\w*\s+услови\w*|травм\w*\s+на\s+(?:работе|производстве|шахте)|без\s+страховк\w*|"
    r"отравил\w*|обрушил\w*|(?:нет|без)\s+(?:\w+\s+)?(?:респиратор|касок|каски|вентиляци)\w*|"
    r"респиратор\w*\s+(?:не\s+(?:выда|да)|нет)|оголенн\w*\s+провод|провод\w*\s+(?:оголен|под\s+напряж)|"
    r"(?:газоанализатор|датчик|детектор|сигнализаци)\w*\s+(?:\w+\s+){0,3}?не\s+работа|"
    r"не\s+(?:выда|да)\w*\s+(?:\w+\s+)?(?:респиратор|касок|каски|спецодежд|средств\w*\s+защит)|"
    r"(?:запасн|аварийн|эвакуацион)\w*\s+выход\w*\s+(?:\w+\s+)?(?:закрыт|заперт|заварен|завален|"
    r"забит)|люди\s+(?:постоянно\s+|часто\s+)?падают|упал\w*\s+с\s+(?:высоты|лесов|крыши|крана)|"
    r"вентиляци\w*\s+не\s+работа",
    "no_food_kk": r"же[йи]тин\s+(?:ештене|тамак)|тамак\s+жок|аш\s+отыр\w*|аштан\s+\w+|ашыгып|"
    r"нанга\s+(?:акша|да)\s+жок|тамак\w*\s+(?:алуга\s+)?акша\s+жок|азык-тулик\w*\s+(?:алуга\s+)?акша"
    r"\w*\s+жок|азык\s+тулик\w*\s+акша\w*\s+жок|ишетин\s+тамак",
    "no_money_kk": r"акша\s+(?:мулде\s+)?жок|каражат\s+жок|кун\s+коруге\s+\w*\s*жок|"
    r"кун\s+коретин\s+\w+\s+жок|табыс\w*\s+жок|кирис\w*\s+жок|бир\s+тиын\w*\s+жок|"
    r"(?:ешкандай|бирде-бир|бирде\s+бир)\s+(?:табыс|кирис)",
    "eviction_kk": r"(?:у[йи]ден|патерден|баспанадан|жатакханадан)\s+(?:шыгар|куып)\w*|кошеде\s+кал\w*|"
    r"баспанасыз\s+кал\w*",
    "life_kk": r"омир\w*\s+кауип|олип\s+бара|озимди\s+олтир|омир\s+сургим\s+келмейди|"
    r"(?:дари|дари-дармек)\w*\s+(?:алуга\s+|сатып\s+алуга\s+)?(?:акша\s+)?жок|"
    r"тосек\w*\s+тартып|тосектен\s+турмайды|(?:карайтын|кутетин|комектесетин)\s+(?:адам|ешким)"
    r"\w*\s+жок|ауыр\s+жаракат",
    "wages_kk": rf"{_MONTHS_KK}\s+а[йи](?:\s+бо[йи]ы)?[^.!?\n]{{0,50}}?(?:жалакы|а[йи]лык)|"
    rf"(?:жалакы|а[йи]лык)\w*[^.!?\n]{{0,50}}?{_MONTHS_KK}\s+а[йи]|"
    r"(?:жарты\s+жыл|айлар\s+бо[йи]ы)[^.!?\n]{0,50}?(?:жалакы|а[йи]лык)|"
    r"(?:жалакы|а[йи]лык)\w*[^.!?\n]{0,50}?(?:жарты\s+жыл|айлар\s+бо[йи]ы)|"
    rf"{_MONTH_NAMES_KK}\w*\s+бери[^.!?\n]{{0,50}}?(?:жалакы|а[йи]лык)\w*[^.!?\n]{{0,30}}?{_UNPAID_KK}|"
    rf"(?:жалакы|а[йи]лык)\w*[^.!?\n]{{0,40}}?{_MONTH_NAMES_KK}\w*\s+бери[^.!?\n]{{0,30}}?{_UNPAID_KK}",
    "unsafe_kk": r"кауипсиздик\s+техникасы\s+сакталма\w*|корганыс\s+куралдарысыз|"
    r"кауипти\s+жагда[йи]\w*|(?:жумыста|ондиристе|шахтада)\s+(?:апат|жаракат)\w*|"
    r"апатка\s+ушыра\w*|респиратор\w*\s+(?:жок|берилмей|бермей)|респираторсыз|каскасыз|"
    r"(?:ашык|жалана[шк])\s+(?:электр\s+)?сым|сымдар\w*\s+ашык|"
    r"(?:газ\s+)?(?:датчик|анализатор)\w*\s+(?:жумыс\s+)?истемей|"
    r"(?:авариялык|косалкы|запас)\w*\s+(?:\w+\s+){1,2}?(?:жабык|кулып)|"
    r"адамдар\s+(?:\w+\s+)?кулап|биктиктен\s+кула",
    "urgent_en": r"nothing\s+to\s+eat|no\s+food|starving|evict\w*|homeless|threat\s+to\s+(?:my\s+)?life|"
    rf"unsafe|no\s+money\s+(?:at\s+all|for\s+(?:food|medicine))|{_MONTHS_EN}\s+months?\s+(?:without\s+"
    r"(?:pay|salary|wages)|of\s+unpaid)|"
    rf"(?:not\s+been|haven'?t\s+been|wasn'?t)\s+paid\s+(?:for\s+{_MONTHS_EN}\s+months?|since\s+"
    rf"{_MONTH_NAMES_EN})|(?:no|without\s+(?:any\s+)?)\s*income|can'?t\s+afford\s+(?:food|medicine)|"
    r"bedridden|nobody\s+to\s+(?:help|care|look\s+after)|no\s+medicine|(?:got|was|were|badly|"
    r"seriously)\s+injured|"
    r"(?:no|without)\s+(?:respirators|helmets|protective)|(?:exposed|live)\s+(?:electric\w*\s+)?wires|"
    r"(?:gas\s+)?detectors?\s+(?:\w+\s+)?(?:not\s+working|broken|don'?t\s+work)|"
    r"(?:emergency|fire)\s+exits?\s+(?:\w+\s+)?(?:locked|blocked)|people\s+(?:keep\s+)?fall\w*|"
    r"thrown\s+out\s+of\s+(?:our|my|the)\s+(?:home|flat|apartment|house|dorm)|"
    r"unpaid\s+(?:wages|salary)\s+(?:for|since)|half\s+a\s+year\s+without",
}


def _scanner(names: tuple[str, ...]) -> tuple[re.Pattern[str] | None, dict[str, re.Pattern[str]]]:
    """One lookahead scan for where any of `names` matches, and each pattern to try there.

    Anchored at a word start: every alternative names a word's beginning.  The lookahead finds
    every position where some pattern matches (so a match inside another is not lost), and only
    there is each pattern tried: one pass instead of a search per pattern (about a third less).
    """
    if not names:
        return None, {}
    anywhere = "|".join(f"(?:{_URGENCY_PATTERNS[name]})" for name in names)
    return re.compile(rf"\b(?={anywhere})"), {name: re.compile(_URGENCY_PATTERNS[name]) for name in names}


# English patterns need Latin letters and the others Cyrillic: a scanner per pair of scripts present.
_SCANNERS = {
    (latin, cyrillic): _scanner(
        tuple(name for name in _URGENCY_PATTERNS if (latin if name.endswith("_en") else cyrillic))
    )
    for latin in (False, True)
    for cyrillic in (False, True)
}


def _pattern_markers(model_text: str, latin: bool, cyrillic: bool) -> tuple[str, ...]:
    anywhere, patterns = _SCANNERS[(latin, cyrillic)]
    if anywhere is None:
        return ()
    found: set[str] = set()
    for start in anywhere.finditer(model_text):
        at = start.start()
        found.update(
            name for name, pattern in patterns.items() if name not in found and pattern.match(model_text, at)
        )
    return tuple(name for name in patterns if name in found)  # in the patterns' order


# «Зарплату не платят с марта», «зарплата с марта, уже июнь»: a start month counts only in a
# sentence that also names wages and their absence («зарплату повысили с марта» is not urgent).
_SINCE_MONTH_RE = re.compile(rf"(?<!\w)с\s+{_MONTH_NAMES_RU}")
_SENTENCE_RE = re.compile(r"[^.!?\n]+")
_WAGES_RE = re.compile(_WAGES)
_ARREARS_RE = re.compile(
    rf"{_UNPAID}|без\s+{_WAGES}|уже\s+(?:январ|феврал|март|апрел|ма[йя]|июн|июл|август|сентябр|"
    r"октябр|ноябр|декабр)|ни\s+тенге|ни\s+копейки"
)


def _wages_since_month(model_text: str) -> bool:
    for sentence in _SENTENCE_RE.findall(model_text):
        since = _SINCE_MONTH_RE.search(sentence)
        if since and _WAGES_RE.search(sentence) and _ARREARS_RE.search(sentence):
            return True
    return False


_LATIN_RE = re.compile("[a-z]")
_CYRILLIC_RE = re.compile("[а-я]")


def urgency_markers(model_text: str, danger: DangerScan | None = None) -> tuple[str, ...]:
    """Names of the urgency patterns found in the (folded) text.

    English patterns need Latin letters and the others Cyrillic (Latin-script Kazakh arrives
    transliterated), so a text skips the script it does not contain.
    """
    latin, cyrillic = bool(_LATIN_RE.search(model_text)), bool(_CYRILLIC_RE.search(model_text))
    found = _pattern_markers(model_text, latin, cyrillic)
    if _SINCE_MONTH_RE.search(model_text) and _wages_since_month(model_text):
        found += ("wages_since_ru",)
    return found + (danger or scan_danger(model_text)).markers
