"""Expand the hand-written seeds into train.jsonl and eval.jsonl (reproducible, fixed seeds).

    .venv/bin/python -m services.classifier.data.make_dataset

Each seed becomes a few realistic messages: optional greeting, a sentence naming a city or region
(inflected), optional personal data (phones in many spellings, IINs with valid check digits, cards,
e-mails) or look-alike numbers that are NOT personal data, and for Kazakh the same text typed
without Kazakh letters and in Latin script.  The eval split uses its own seeds AND its own wrapper
phrasings (phrases.py), so nothing the model trains on is repeated there.

Regenerating overwrites train.jsonl, including rows appended by `jauap add-labels`; keep those by
running add-labels again on the desk export, or don't regenerate.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from channels.pii import iin_check_digit, luhn_ok

from .phrases import EVAL_WRAPPERS, PLACES, TRAIN_WRAPPERS, Wrappers

DATA_DIR = Path(__file__).resolve().parent
INTENTS = {"q": "question", "c": "complaint", "p": "proposal", "g": "gratitude", "o": "other"}
URGENCIES = {"h": "high", "n": "normal"}

_LATIN = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "yo",
    "ж": "zh", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "k", "л": "l", "м": "m", "н": "n",
    "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u",
    "ү": "u", "ф": "f", "х": "kh", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "",
    "ы": "y", "і": "i", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip
_PLAIN = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")


def to_latin(text: str, rng: random.Random) -> str:
    """Casual Latin Kazakh as people type it (қ as k or q, ж as zh or j)."""
    q_letter = rng.choice(("k", "q"))
    zh_letter = rng.choice(("zh", "zh", "j"))
    out: list[str] = []
    for char in text:
        lower = char.lower()
        latin = _LATIN.get(lower)
        if latin is None:
            out.append(char)
            continue
        latin = q_letter if lower == "қ" else zh_letter if lower == "ж" else latin
        out.append(latin.capitalize() if char.isupper() else latin)
    return "".join(out)


_LATIN_2021 = {
    **_LATIN, "ә": "ä", "ғ": "ğ", "ж": "j", "й": "i", "қ": "q", "ң": "ñ", "ө": "ö", "ұ": "ū", "ү": "ü",
    "х": "h", "ч": "ç", "ш": "ş", "щ": "şş", "і": "ı", "ю": "iu", "я": "ia", "ё": "io",
}  # fmt: skip


def to_latin_2021(text: str) -> str:
    """Kazakh in the 2021 Latin alphabet (ä, ö, ü, ū, ı, ğ, ş, ñ, q)."""
    out: list[str] = []
    for char in text:
        latin = _LATIN_2021.get(char.lower())
        out.append(char if latin is None else latin.capitalize() if char.isupper() else latin)
    return "".join(out)


def to_plain(text: str) -> str:
    return text.translate(_PLAIN)


def random_iin(rng: random.Random) -> str:
    while True:
        year = rng.randint(1940, 2005)
        century_digit = rng.choice((3, 4)) if year < 2000 else rng.choice((5, 6))
        first = f"{year % 100:02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        first += f"{century_digit}{rng.randint(0, 9999):04d}"
        check = iin_check_digit(first)
        if check is not None:
            return first + str(check)


def invalid_iin(rng: random.Random) -> str:
    valid = random_iin(rng)
    return valid[:11] + str((int(valid[11]) + rng.randint(1, 9)) % 10)


def random_phone(rng: random.Random) -> str:
    code = rng.choice(("700", "701", "702", "705", "707", "708", "747", "771", "775", "777", "778"))
    d = f"{rng.randint(0, 9999999):07d}"
    formats = (
        f"+7 {code} {d[:3]} {d[3:5]} {d[5:]}",
        f"8({code}){d}",
        f"8{code}{d}",
        f"+7-{code}-{d[:3]}-{d[3:5]}-{d[5:]}",
        f"{code}{d}",
        f"8 {code} {d[:3]} {d[3:5]} {d[5:]}",
        f"+7{code}{d}",
        f"8 (727) {d[:3]}-{d[3:5]}-{d[5:]}",
    )
    return rng.choice(formats)


def random_card(rng: random.Random) -> str:
    while True:
        digits = rng.choice(("440043", "516949", "400303")) + f"{rng.randint(0, 10**10 - 1):010d}"
        if luhn_ok(digits):
            break
    groups = [digits[i : i + 4] for i in range(0, 16, 4)]
    return rng.choice((" ".join(groups), "".join(groups), "-".join(groups)))


def random_email(rng: random.Random) -> str:
    name = rng.choice(("aigerim", "serik.n", "dana_k", "marat77", "gulnar.s", "askar"))
    return f"{name}{rng.randint(1, 99)}@{rng.choice(('mail.ru', 'gmail.com', 'inbox.kz'))}"


def _pii_sentence(lang: str, wrappers: Wrappers, rng: random.Random) -> tuple[str, list[str]]:
    template = rng.choice(wrappers.pii[lang])
    values = {"phone": random_phone(rng), "iin": random_iin(rng),
              "email": random_email(rng), "card": random_card(rng)}  # fmt: skip
    kinds = [kind for kind in ("iin", "phone", "email", "card") if "{" + kind + "}" in template]
    return template.format(**values), kinds


def _decoy_sentence(lang: str, wrappers: Wrappers, rng: random.Random) -> str:
    template = rng.choice(wrappers.decoys[lang])
    return template.format(bad_iin=invalid_iin(rng), num=rng.choice(("85 000", "42500", "1200")))


def _place_sentence(lang: str, wrappers: Wrappers, rng: random.Random) -> tuple[str, str]:
    code, nom, loc, gen, kk, kk_loc, kk_abl, en = rng.choice(PLACES)
    template = rng.choice(wrappers.place[lang])
    text = template.format(nom=nom, loc=loc, gen=gen, kk=kk, kk_loc=kk_loc, kk_abl=kk_abl, en=en)
    return text, code


def compose(lang: str, core: str, wrappers: Wrappers, rng: random.Random, variant: int) -> dict[str, Any]:
    """One message around a seed; variant 0 is the bare seed so every seed appears plainly."""
    parts: list[str] = []
    region: str | None = None
    pii: list[str] = []
    gold_lang = lang
    if variant > 0 and rng.random() < 0.5:
        parts.append(rng.choice(wrappers.greetings[lang]))
    elif variant > 0 and rng.random() < 0.3 and wrappers.foreign_greetings[lang]:
        parts.append(rng.choice(wrappers.foreign_greetings[lang]))  # mixed: body's language wins
    if variant > 0 and rng.random() < 0.55:
        sentence, region = _place_sentence(lang, wrappers, rng)
        parts.append(sentence)
    parts.append(core)
    roll = rng.random()
    if variant > 0 and roll < 0.3:
        sentence, pii = _pii_sentence(lang, wrappers, rng)
        parts.append(sentence)
    elif variant > 0 and roll < 0.4:
        parts.append(_decoy_sentence(lang, wrappers, rng))
    return {"text": " ".join(parts), "lang": gold_lang, "region": region, "pii": pii}


def read_seeds(path: Path) -> list[tuple[str, str, str, str, str]]:
    """(topic, lang, intent, urgency, text) per seed line."""
    seeds: list[tuple[str, str, str, str, str]] = []
    topic = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            topic = line[3:].strip()
        elif line.strip() and not line.startswith("#"):
            lang, intent, urgency, text = line.split("|", 3)
            seeds.append((topic, lang, INTENTS[intent], URGENCIES[urgency], text.strip()))
    return seeds


def expand(seeds_path: Path, wrappers: Wrappers, seed: int, copies: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for topic, lang, intent, urgency, text in read_seeds(seeds_path):
        for variant in range(copies):
            row = compose(lang, text, wrappers, rng, variant)
            if lang == "kk" and variant % 3 == 1:
                row["text"] = to_plain(row["text"])
            elif lang == "kk" and variant % 3 == 2:
                row["text"] = to_latin(row["text"], rng)
            if row["text"] in seen:
                continue
            seen.add(row["text"])
            rows.append({"text": row["text"], "lang": row["lang"], "topic": topic,
                         "intent": intent, "urgency": urgency, "region": row["region"],
                         "pii": row["pii"]})  # fmt: skip
    return rows


def add_region_hints(rows: list[dict[str, Any]], seed: int) -> None:
    """Some eval rows carry a channel region hint; with no place in the text it is the gold."""
    rng = random.Random(seed)
    for row in rows:
        if row["region"] is None and rng.random() < 0.2:
            row["region_hint"] = rng.choice(("KZ-55", "KZ-71", "KZ-23"))
            row["region"] = row["region_hint"]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def main() -> None:
    train = expand(DATA_DIR / "seeds_train.txt", TRAIN_WRAPPERS, seed=42, copies=6)
    evaluation = expand(DATA_DIR / "seeds_eval.txt", EVAL_WRAPPERS, seed=7, copies=3)
    add_region_hints(evaluation, seed=11)
    write_jsonl(DATA_DIR / "train.jsonl", train)
    write_jsonl(DATA_DIR / "eval.jsonl", evaluation)
    print(f"train.jsonl: {len(train)} rows, eval.jsonl: {len(evaluation)} rows")


if __name__ == "__main__":
    main()
