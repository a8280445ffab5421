"""Text normalisation shared by every part of the classifier.

Citizens write Kazakh with or without its special letters and sometimes in Latin script, so
several parts compare text in a *folded* form: lower case, ё→е, Kazakh-specific letters mapped to
their nearest plain Cyrillic letter, and (for Latin-script Kazakh) a rough Latin→Cyrillic
transliteration.  Folding loses information, which is fine for matching and features; offsets
into the original text are only ever taken from the unfolded text (see pii.py).
"""

from __future__ import annotations

import re

KAZAKH_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")

_FOLD_TABLE = str.maketrans(
    {
        "ё": "е",
        "ә": "а",
        "ғ": "г",
        "қ": "к",
        "ң": "н",
        "ө": "о",
        "ұ": "у",
        "ү": "у",
        "һ": "х",
        "і": "и",
    }
)

# Longest first so "sh" wins over "s" + "h".
_LATIN_TO_CYRILLIC: tuple[tuple[str, str], ...] = (
    ("shch", "щ"),
    ("sh", "ш"),
    ("zh", "ж"),
    ("ch", "ч"),
    ("kh", "х"),
    ("gh", "г"),
    ("ya", "я"),
    ("yu", "ю"),
    ("ts", "ц"),
    ("a", "а"),
    ("b", "б"),
    ("c", "с"),
    ("d", "д"),
    ("e", "е"),
    ("f", "ф"),
    ("g", "г"),
    ("h", "х"),
    ("i", "и"),
    ("j", "ж"),
    ("k", "к"),
    ("l", "л"),
    ("m", "м"),
    ("n", "н"),
    ("o", "о"),
    ("p", "п"),
    ("q", "к"),
    ("r", "р"),
    ("s", "с"),
    ("t", "т"),
    ("u", "у"),
    ("v", "в"),
    ("w", "у"),
    ("x", "х"),
    ("y", "ы"),
    ("z", "з"),
    ("ä", "а"),
    ("ö", "о"),
    ("ü", "у"),
    ("ğ", "г"),
    ("ş", "ш"),
    ("ç", "ч"),
    # The 2021 alphabet: ı is і (folded to и), ū is ұ; y stays ы.
    ("ı", "и"),
    ("ū", "у"),
    ("ñ", "н"),
)
_LATIN_RE = re.compile("|".join(re.escape(latin) for latin, _ in _LATIN_TO_CYRILLIC))
_LATIN_MAP = dict(_LATIN_TO_CYRILLIC)
# Latin «i» stands for both и and й; after a vowel it is й («zeinetaqy» → зейнетакы, «ailyq» → айлык).
_I_AFTER_VOWEL_RE = re.compile("(?<=[aeouyäöüūı])i")
_COMBINING_DOT = "\u0307"  # «İ».lower() is «i» + a combining dot

WORD_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_SPACES_RE = re.compile(r"\s+")
_URL_RE = re.compile(r"https?://\S+|www\.\S+")
_MENTION_RE = re.compile(r"[@#][\w.]+")
# Counted by regex, not a per-character loop, in runs of letters (a list item per letter cost four
# times as much); İ and the Kelvin sign lower-case to Latin letters.
_LATIN_LETTERS_RE = re.compile("[A-Za-z\u0130\u212a]+")
_CYRILLIC_LETTERS_RE = re.compile("[\u0400-\u04ff]+")


def fold(text: str) -> str:
    """Lower-case, ё→е and Kazakh letters → plain Cyrillic (for matching, not for offsets)."""
    return text.lower().replace(_COMBINING_DOT, "").translate(_FOLD_TABLE)


def latin_to_cyrillic(text: str) -> str:
    """Rough transliteration of Latin-script Kazakh so it meets the Cyrillic vocabulary."""
    lowered = _I_AFTER_VOWEL_RE.sub("й", text.lower().replace(_COMBINING_DOT, ""))
    return _LATIN_RE.sub(lambda m: _LATIN_MAP[m.group(0)], lowered)


def words(text: str) -> list[str]:
    """Word tokens (letters only, inner hyphens and apostrophes kept)."""
    return WORD_RE.findall(text)


def clean(text: str) -> str:
    """Drop URLs and @mentions/#tags and squeeze whitespace: noise for every model."""
    # Most messages have neither; a substring test is cheaper than a regex pass over the text.
    if "http" in text or "www." in text:
        text = _URL_RE.sub(" ", text)
    if "@" in text or "#" in text:
        text = _MENTION_RE.sub(" ", text)
    return _SPACES_RE.sub(" ", text).strip()


def latin_share(text: str) -> float:
    """Share of letters that are Latin (0 when the text has no letters)."""
    latin = sum(map(len, _LATIN_LETTERS_RE.findall(text)))
    total = latin + sum(map(len, _CYRILLIC_LETTERS_RE.findall(text)))
    return latin / total if total else 0.0


def model_text(text: str, latin_kazakh: bool) -> str:
    """The form the trained models see: cleaned, folded, Latin Kazakh transliterated."""
    cleaned = clean(text)
    if latin_kazakh:
        return fold(latin_to_cyrillic(cleaned))
    return fold(cleaned)
