"""Language of a message: ru, kk, en or other.

Cheap word-level rules decide first because they are more reliable than a statistical detector on
the short, mixed and transliterated messages citizens write:

* a word with a Kazakh-only letter (әғқңөұүһі) is Kazakh;
* common Kazakh words typed with plain Cyrillic letters, Kazakh-only suffixes, and common Kazakh
  words in Latin script ("salemetsiz be", "zeinetakym qashan") are Kazakh;
* Russian function words are Russian; mixed text takes the language with more votes.

Only when the rules see too little evidence does lingua decide.  Lingua runs in low-accuracy mode
(trigram models only): the high-accuracy models for even three languages cost ~130 MB of RAM,
while the rules already settle the hard ru/kk cases; the detector is built once per process.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from lingua import ConfidenceValue, Language, LanguageDetector, LanguageDetectorBuilder

from .text import KAZAKH_LETTERS, fold, latin_share, latin_to_cyrillic, words

LANG_CODES = ("ru", "kk", "en", "other")

# Languages lingua may answer; everything besides ru/kk/en becomes "other".  The extra ones are
# what a ministry inbox realistically sees besides the three it answers in.
_LINGUA_LANGUAGES = (
    Language.RUSSIAN,
    Language.KAZAKH,
    Language.ENGLISH,
    Language.UKRAINIAN,
    Language.TURKISH,
    Language.GERMAN,
    Language.FRENCH,
    Language.SPANISH,
    Language.CHINESE,
    Language.ARABIC,
)
_LINGUA_TO_CODE = {Language.RUSSIAN: "ru", Language.KAZAKH: "kk", Language.ENGLISH: "en"}


def _word_set(words: str) -> frozenset[str]:
    """A set from whitespace-separated words (keeps long vocabularies readable)."""
    return frozenset(words.split())


_RU_WORDS = _word_set(
    """
    и в во на не что я мне меня мой моя моё мое мои моего моей как по с со у к за из о об от
    для до это а но или ли же бы уже ещё еще так когда где почему сколько можно нужно надо
    есть нет был была были будет очень пожалуйста здравствуйте подскажите спасибо прошу хочу
    могу мы нам нас вы вам вас он она они их его ее её при после тоже только который которая
    которые если чтобы то все всё год года лет месяц месяца месяцев день дней добрый вечер
    ничего никто почему-то также уважаемые уважаемый министерство просим помогите скажите
    какие какой какая куда зачем ведь получить получаю получает сейчас теперь даже
    """
)
_KK_WORDS = frozenset(
    fold(word)
    for word in _word_set(
        """
        мен менің маған мені біз бізге бізді біздің сіз сізге сіздер сіздің ол олар оған бұл осы
        сол және үшін туралы бойынша қажет керек жоқ бар бе ма ме па пе ба қашан қалай қандай
        қанша неге қайда кім сәлеметсіз саламатсыз салем рахмет рақмет қайырлы күн жұмыс
        жұмыссыз айлық зейнетақы зейнетақым жәрдемақы өтініш өтінемін балалар болады болып болса
        еді едім емес жатыр жатырмын алу беру алмай бере ала тиіс мүмкін көмек көмектесіңіз
        берілмейді төленбейді төлемейді жылдан айдан жыл көпбалалы мүгедек мүгедектік етемін
        шейін дейін кейін енді тағы қана ғана барма жоқпа мүмкінбе ешкім ешқандай бірақ
        сондықтан себебі әлі әкім әкімдік аудан ауданы облысы қаласы
        """
    )
)
_KK_SUFFIX_RE = re.compile(
    r"(?:мын|мин|мыз|миз|сыз|сиз|ныз|низ|дагы|деги|тагы|теги|ларды|лерди|дарды|терди|лардын|"
    r"лердин|ымды|имди|ымыз|имиз|уге|уга|ипти|ыпты|ушин)$"
)
_KK_LATIN_WORDS = _word_set(
    """
    salemetsiz salematsyz salemetsyz salem be ba ma me pa pe kalay qalay kalaisyz qalaisyz
    zeinetaky zeinetakym zeinetaqy zeinetaqym zeynetaky zeynetaqy zeynetakym jeinetaky
    zhardemaky zhardemaqy jardemaqy jardemaky rakhmet rahmet raqmet rakmet otinish otinem
    otinemin men menin magan bizge bizdin biz siz sizge kerek kazhet qajet kajet zhok zhoq
    joq jok bar ushin turaly boiynsha boyinsha kashan qashan kansha qansha kandai qandai
    nege qaida kaida zhumys jumys zhumyssyz jumyssyz aylyk ailyq ailyk ailik bala balalar
    balama komek bolady bolsa emes zhane jane zhatyr jatyr alu beru tiis mumkin kayirly
    qaiyrly qayyrly kun zhyl jyl berilmeidi tolenbeidi tolemeidi akimat kopbalaly mugedek
    mugedektik qyzmet kyzmet tolem tolemi tolemdi tusedi tuspedi tuspeidi alsam aldym almadym
    isteimin isteidi isteu uaqytynda uakytynda ayliq aylyq ailygy aylygy zhalaqy zhalaky jalaqy
    jalaky zhalakym zhalaqym ne nege kim osy bul sol olar kop ote tez dep anam akem auyl audan
    oblys oblysy qala kala tenge aqsha aksha beriniz komektesiniz komektesinizder sizderge
    kezek kuzhat qujat kujat anyktama anyqtama ortalyk ortalyq aqy aky jumystan zhumystan
    zheke jeke bolyp boldy boldym turamyn jasaimyn zhasaimyn kandas qandas zhasym jasym
    """
)
# Kyrgyz and Uzbek share much with Kazakh; their own words (Cyrillic folded, Latin) mean "other".
_OTHER_TURKIC_WORDS = _word_set(
    """
    саламатсызбы кантип качан мага жардам болот келет учун эмне барбы жокпу тушот чыгат
    акча алсам иштейм берилбейт толонбойт эмгек окмот суроо жооп кылам жатышат жатат
    assalomu alaykum qachon menga yordam kerak uchun bilan nima iltimos pensiya nafaqa oylik
    haqida boladi yoq qanaqa qayerda ishlayman olmayapman berilmayapti kerakmi
    """
)
# Kyrgyz cues in a word: long vowels written double (өө, үү, ээ) and rounded vowels repeated in
# the next syllable («төлөбөй», «бүгүн»); Kazakh writes «төлемей», «бүгін».
_KYRGYZ_WORD_RE = re.compile("өө|үү|ээ|ө[^аеёиоуыэюяөү]{1,2}ө|ү[^аеёиоуыэюяөү]{1,2}ү")
# ў (Uzbek, Belarusian) and ҳ (Uzbek, Tajik) never occur in ru, kk or en text.
_OTHER_LETTERS = frozenset("ўҳЎҲ")
_EN_GREETINGS = frozenset({"hello", "hi", "hey", "greetings", "good", "morning", "evening", "dear"})
_KK_LATIN_SUFFIX_RE = re.compile(
    r"(?:myn|ymyz|imiz|syz|nyz|niz|lary|dagy|daghy|degi|ushin|ymdy|imdi|tyn|dyn|nyn|ga|ge|qa|"
    r"eidi|aidy|meidi|maidy|beidi|baidy|peidi|paidy|tagy|tegi|ynda|ynan|lardy|lerdi|dardy|"
    r"derdi|tardy|terdi|leri|dary|tary|myz|miz|siz)$"
)
# Turkish and German in Latin script are "other"; their own function words outvote Kazakh cues
# (they share ö, ü, ş, ğ, ı with the 2021 Kazakh alphabet).
_FOREIGN_LATIN_WORDS = _word_set(
    """
    ve bir bu için icin ile çok cok daha ama gibi değil degil nasıl nasil neden merhaba lütfen
    lutfen teşekkür tesekkur ederim benim bana beni siz sizin olan olarak hangi gerekiyor
    yapmalıyım yapmaliyim maaş maas maaşımı maasimi işveren isveren emekli ödedi odedi
    ich und der die das nicht ist mein meine meinen mir mich wir wann wird kann was wie wo guten
    tag bitte danke arbeite arbeitgeber zahlt lohn rente urlaub habe haben auf mit für fur von
    zu bei nach oder aber auch noch schon den dem des ein eine einen sind erhöht nachlesen
    """
)
# Letters of the 2021 Kazakh alphabet that English lacks: ñ, ū, ä, ı (Turkish and German share
# some; their function words are counted first) and q not followed by u («qazaq», not «question»).
_KK_2021_LETTER_RE = re.compile("[ñūäı]|q(?!u)")
# Letters only Kazakh (of ru/kk/en) writes in Latin script: ä ö ü ū ı ğ ş ñ, and q.
_KK_LATIN_LETTERS_RE = re.compile("[äöüūığşñqÄÖÜŪİĞŞÑQ]")
# Turkish ı is a back vowel (with a, o, y); the 2021 Kazakh ı is і, a front vowel that never
# shares a native word with them.  So «maaşımı», «yapmadı» are Turkish, «berılmeidı» Kazakh.
_TURKISH_I_RE = re.compile("ı.*[aoyū]|[aoyū].*ı")
# Uzbek Latin writes o‘ and g‘ (with an apostrophe of some kind): never Kazakh.
_UZBEK_LATIN_RE = re.compile(r"[og]['‘’ʻ`][a-z]", re.IGNORECASE)
_EN_WORDS = _word_set(
    """
    the a an is are was were be been i my me you your we our he she it they of to in on for
    with from at by and or not no do does did can could would should will how what when
    where why which who please hello hi thank thanks dear get got have has had this that
    there here am
    """
)
# Letters of Ukrainian/Belarusian that Kazakh lacks: "і" alone is not proof of Kazakh.
_NOT_KAZAKH_LETTERS = frozenset("їєґў")
_MIN_VOTES = 2
_SHORT_TEXT = 3  # words; one clear vote decides a text this short


@dataclass(frozen=True)
class LanguageResult:
    lang: str
    confidence: float
    latin_kazakh: bool = False


def _cyrillic_votes(tokens: list[str]) -> tuple[int, int]:
    """(Kazakh votes, Russian votes) from Cyrillic word tokens."""
    kazakh = russian = 0
    for token in tokens:
        lowered = token.lower()
        if not KAZAKH_LETTERS.isdisjoint(token):
            kazakh += 1
            continue
        if lowered in _RU_WORDS:
            russian += 1
            continue
        folded = fold(lowered)
        if folded in _KK_WORDS or (len(folded) > 4 and _KK_SUFFIX_RE.search(folded)):
            kazakh += 1
    return kazakh, russian


def _latin_votes(tokens: list[str], kazakh_letters: bool) -> tuple[int, int, int]:
    """(Kazakh, English, Turkish/German) votes from Latin word tokens.

    A word not in the Latin lists is transliterated and checked against the Cyrillic Kazakh
    vocabulary, so the 2021 alphabet («zeinetaqy», «järdemaqy», «qanşa») needs no list of its own.
    """
    kazakh = english = foreign = 0
    for token in tokens:
        lowered = token.lower().replace("'", "").replace("’", "").replace("\u0307", "")
        if lowered in _EN_WORDS:
            english += 1
        elif lowered in _FOREIGN_LATIN_WORDS or _TURKISH_I_RE.search(lowered):
            foreign += 1
        elif _kazakh_latin_word(lowered, kazakh_letters):
            kazakh += 1
    return kazakh, english, foreign


def _kazakh_latin_word(lowered: str, kazakh_letters: bool) -> bool:
    """A Kazakh word in Latin script; transliterated only when the text has Kazakh Latin letters
    (plain English is not worth transliterating word by word)."""
    if lowered in _KK_LATIN_WORDS or (len(lowered) > 4 and _KK_LATIN_SUFFIX_RE.search(lowered)):
        return True
    return kazakh_letters and _kazakh_when_transliterated(lowered)


def _kazakh_when_transliterated(latin_word: str) -> bool:
    folded = fold(latin_to_cyrillic(latin_word))
    if folded in _KK_WORDS or (len(folded) > 4 and _KK_SUFFIX_RE.search(folded)):
        return True
    return len(latin_word) > 2 and bool(_KK_2021_LETTER_RE.search(latin_word))


def _vote_result(first: int, second: int, first_lang: str, second_lang: str) -> LanguageResult:
    share = first / (first + second)
    if share > 0.5:
        return LanguageResult(first_lang, round(min(0.99, 0.5 + share / 2), 3))
    return LanguageResult(second_lang, round(min(0.99, 1.0 - share / 2), 3))


def rule_language(text: str) -> LanguageResult | None:
    """The language when word-level rules are confident, else None (ask lingua)."""
    tokens = words(text)
    if not tokens:
        return LanguageResult("other", 0.5)
    if not _OTHER_LETTERS.isdisjoint(text) or _other_turkic(tokens, text):
        return LanguageResult("other", 0.9)
    if not _NOT_KAZAKH_LETTERS.isdisjoint(text.lower()):
        return None
    if latin_share(text) > 0.5:
        if _UZBEK_LATIN_RE.search(text):
            return LanguageResult("other", 0.9)
        kazakh, english, foreign = _latin_votes(tokens, bool(_KK_LATIN_LETTERS_RE.search(text)))
        if foreign >= _MIN_VOTES and foreign >= kazakh and foreign > english:
            return LanguageResult("other", round(min(0.99, 0.5 + foreign / (2 * len(tokens))), 3))
        if kazakh == 1 and english == foreign == 0 and len(tokens) <= _SHORT_TEXT:
            return LanguageResult("kk", 0.8, latin_kazakh=True)
        if kazakh == 0 and len(tokens) <= _SHORT_TEXT and _EN_GREETINGS.intersection(map(str.lower, tokens)):
            return LanguageResult("en", 0.9)  # «Hello», «Hi!»: too short for lingua
        if kazakh >= _MIN_VOTES and kazakh > english:
            share = kazakh / (kazakh + english)
            return LanguageResult("kk", round(min(0.99, 0.5 + share / 2), 3), latin_kazakh=True)
        if english >= _MIN_VOTES and english > kazakh:
            # Lingua's low-accuracy mode is weak on short texts; English function words are not.
            return _vote_result(english, kazakh, "en", "kk")
        return None
    kazakh, russian = _cyrillic_votes(tokens)
    if kazakh == 1 and russian == 0 and len(tokens) <= _SHORT_TEXT:
        return LanguageResult("kk", 0.8)  # «Сәлем!», «Рахмет»: too short for lingua
    if kazakh + russian < _MIN_VOTES or kazakh == russian:
        return None
    return _vote_result(kazakh, russian, "kk", "ru")


def _other_turkic(tokens: list[str], text: str) -> bool:
    """Kyrgyz or Uzbek: two of their own words or double vowels, and no Kazakh-only letter."""
    if any(letter in text for letter in "әғқіһӘҒҚІҺ"):
        return False
    cues = 0
    for token in tokens:
        lowered = token.lower()
        if fold(lowered.replace("'", "")) in _OTHER_TURKIC_WORDS or _KYRGYZ_WORD_RE.search(lowered):
            cues += 1
    return cues >= _MIN_VOTES


class LanguageIdentifier:
    """Rules first, lingua for the rest; build once and share (building costs ~1 s)."""

    _shared_detector: LanguageDetector | None = None
    _lock = threading.Lock()

    @classmethod
    def _detector(cls) -> LanguageDetector:
        with cls._lock:
            if cls._shared_detector is None:
                cls._shared_detector = (
                    LanguageDetectorBuilder.from_languages(*_LINGUA_LANGUAGES)
                    .with_low_accuracy_mode()
                    .with_preloaded_language_models()
                    .build()
                )
            return cls._shared_detector

    def detect_batch(self, texts: Sequence[str]) -> list[LanguageResult]:
        results: list[LanguageResult | None] = [rule_language(text) for text in texts]
        undecided = [i for i, result in enumerate(results) if result is None]
        if undecided:
            detector = self._detector()
            values = detector.compute_language_confidence_values_in_parallel([texts[i] for i in undecided])
            for i, confidences in zip(undecided, values, strict=True):
                results[i] = _from_lingua(confidences)
        return [result for result in results if result is not None]


def _from_lingua(confidences: Sequence[ConfidenceValue]) -> LanguageResult:
    if not confidences:
        return LanguageResult("other", 0.5)
    best = confidences[0]
    code = _LINGUA_TO_CODE.get(best.language, "other")
    return LanguageResult(code, round(float(best.value), 3))
