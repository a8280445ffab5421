"""The category set: hand-written hard cases per category of miss, in every script, with a dev/test split.

    .venv/bin/python -m services.classifier.data.make_categories

Writes categories_dev.jsonl and categories_test.jsonl.  Each base message is written once; a Kazakh
one (script "kk") is also emitted letterless and in the 2021 Latin alphabet, so the set reports per
script.  Base messages alternate between the splits within each category, and all script variants
of one message stay in the same split (no leakage).  Rules were tuned looking only at the dev
split's errors; the test split is the number to report.  Nothing here is in train.jsonl.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .make_dataset import to_latin_2021

DATA_DIR = Path(__file__).resolve().parent
_PLAIN = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")

# category, script, lang, topic, intent, urgency, region, text.  Script "kk" = Kazakh Cyrillic,
# expanded into kk_cyrillic, kk_letterless and kk_latin2021.
Row = tuple[str, str, str, str, str, str, str | None, str]
ROWS: tuple[Row, ...] = (
    # Urgency described, not named.
    ("urgent_described", "ru", "ru", "disability", "complaint", "high", None,
     "Маме, инвалиду первой группы, с каждым днём хуже, а положенные лекарства не выдают уже второй месяц."),
    ("urgent_described", "ru", "ru", "social_benefits", "complaint", "high", None,
     "Бабушка не встаёт с кровати, в доме холодно, угля нет, соцработник не приходит две недели."),
    ("urgent_described", "ru", "ru", "social_benefits", "complaint", "high", None,
     "Дети второй день сидят на одном чае, пособие так и не пришло."),
    ("urgent_described", "ru", "ru", "social_benefits", "complaint", "high", None,
     "Холодильник пустой, детям в школу дать с собой нечего, пособие многодетным опять задержали."),
    ("urgent_described", "ru", "ru", "labour_relations", "complaint", "high", None,
     "На стройке вчера рабочий сорвался с лесов, страховочных поясов нам не выдают, прораб велел молчать."),
    ("urgent_described", "ru", "ru", "labour_relations", "complaint", "high", None,
     "Я на шестом месяце беременности, начальник кричит, угрожает уволить по статье "
     "и заставляет таскать коробки."),
    ("urgent_described", "ru", "ru", "social_insurance", "complaint", "high", None,
     "Ребёнку три месяца, смесь закончилась, купить не на что, декретные так и не выплатили."),
    ("urgent_described", "ru", "ru", "disability", "complaint", "high", None,
     "Брату после травмы на шахте становится всё хуже, а в реабилитации отказали, сказали ждать полгода."),
    ("urgent_described", "en", "en", "social_benefits", "complaint", "high", None,
     "My father is bedridden after a stroke, the heating in his flat has been off for a week and nobody "
     "from social services comes."),
    ("urgent_described", "en", "en", "other", "complaint", "high", None,
     "My mother's insulin ran out and the clinic refused a new prescription, "
     "she is getting worse every day."),
    ("urgent_described", "en", "en", "labour_relations", "complaint", "high", None,
     "A worker fell into the pit at our site yesterday, we have no harnesses or hard hats and the foreman "
     "says keep quiet."),
    ("urgent_described", "en", "en", "labour_relations", "complaint", "high", None,
     "I'm pregnant and my manager threatens to fire me if I take sick leave, he shouts at me every day."),
    ("urgent_described", "en", "en", "social_benefits", "complaint", "high", None,
     "Our baby is two months old, the house has no heating since the boiler broke "
     "and the benefit hasn't come."),
    ("urgent_described", "kk", "kk", "social_benefits", "complaint", "high", None,
     "Әкем төсекте жатыр, үйде жылу жоқ, көмір алуға ақша жоқ, әлеуметтік қызметкер келмейді."),
    ("urgent_described", "kk", "kk", "disability", "complaint", "high", None,
     "Мүгедек анамның жағдайы күннен-күнге нашарлап барады, тегін дәрі беруді тоқтатты."),
    ("urgent_described", "kk", "kk", "social_benefits", "complaint", "high", None,
     "Балаларым екі күннен бері тек шай ішіп отыр, жәрдемақы әлі түскен жоқ."),
    ("urgent_described", "kk", "kk", "labour_relations", "complaint", "high", None,
     "Құрылыста жұмысшы биіктен құлап түсті, бізге сақтандыру белдігі мен каска берілмейді."),
    ("urgent_described", "kk", "kk", "labour_relations", "complaint", "high", None,
     "Жүкті болсам да бастығым мені жұмыстан қуамын деп қорқытады, ауыр жүк көтертеді."),
    ("urgent_described", "kk", "kk", "social_benefits", "complaint", "high", None,
     "Сәбиіміз үш айлық, пәтерде жылу жоқ, бала ауырып қалды, көмектесіңіздер."),
    ("urgent_described", "kk", "kk", "social_benefits", "complaint", "high", None,
     "Тоңазытқыш бос, балаларға беретін ештеңе қалмады, атаулы көмек тоқтап қалды."),
    ("urgent_described", "kk_latin_casual", "kk", "social_benefits", "complaint", "high", None,
     "Ekem tosekte zhatyr, uide zhylu zhok, karaitin eshkim zhok, komek kerek"),
    # Impatience is not urgency.
    ("impatience", "ru", "ru", "pension", "question", "normal", None,
     "СРОЧНО ответьте про индексацию пенсий!!! Когда уже?"),
    ("impatience", "ru", "ru", "pension_savings", "question", "normal", None,
     "Срочно нужна справка о пенсионных взносах, когда её можно получить?"),
    ("impatience", "kk", "kk", "pension", "question", "normal", None,
     "Тез жауап беріңізші, зейнетақы қашан өседі?"),
    ("impatience", "en", "en", "social_benefits", "question", "normal", None,
     "URGENT!!! When will the child benefit be paid this month?"),
    ("impatience", "ru", "ru", "social_benefits", "question", "normal", None,
     "Немедленно ответьте, когда переведут пособие на ребёнка, жду уже неделю!"),
    ("impatience", "kk", "kk", "social_benefits", "question", "normal", None,
     "ШҰҒЫЛ! Көпбалалы отбасыларға жәрдемақы қай күні түседі?"),
    # A grievance phrased as a question is a complaint.
    ("intent_grievance_question", "ru", "ru", "labour_relations", "complaint", "normal", None,
     "Почему работодатель не оплатил мне отпуск и никто его за это не наказывает?"),
    ("intent_grievance_question", "ru", "ru", "social_benefits", "complaint", "normal", None,
     "Разве это нормально, что в ЦОНе с меня потребовали деньги за оформление пособия?"),
    ("intent_grievance_question", "ru", "ru", "disability", "complaint", "normal", None,
     "Как можно было отказать инвалиду в коляске, если все документы в порядке??"),
    ("intent_grievance_question", "en", "en", "labour_relations", "complaint", "normal", None,
     "Why does the labour inspector ignore that our boss makes us work Saturdays without pay?"),
    ("intent_grievance_question", "kk", "kk", "social_benefits", "complaint", "normal", None,
     "Неге маған атаулы көмекті негізсіз тоқтатты, бұл заңды ма?"),
    ("intent_grievance_question", "kk", "kk", "labour_relations", "complaint", "normal", None,
     "Жұмыс беруші еңбек шартын жасамай жұмыс істетеді, бұған кім жауап береді?"),
    ("intent_grievance_question", "ru", "ru", "employment", "complaint", "normal", None,
     "Сотрудник центра занятости нахамил мне и выгнал из кабинета, у вас так принято работать?"),
    ("intent_grievance_question", "en", "en", "pension", "complaint", "normal", None,
     "How is it fair that my pension was cut without any letter or explanation?"),
    # A question that mentions a problem is still a question.
    ("intent_question_with_problem", "ru", "ru", "labour_relations", "question", "normal", None,
     "Если работодатель задерживает зарплату, в какой срок он обязан выплатить компенсацию?"),
    ("intent_question_with_problem", "ru", "ru", "social_benefits", "question", "normal", None,
     "Мне отказали в пособии из-за дохода мужа, можно ли подать заново через полгода?"),
    ("intent_question_with_problem", "en", "en", "disability", "question", "normal", None,
     "If my disability group was removed after the review, can I appeal, and where?"),
    ("intent_question_with_problem", "kk", "kk", "social_insurance", "question", "normal", None,
     "Жұмыстан шығарып жіберсе, жұмыссыздық бойынша төлемді қалай алуға болады?"),
    # Greetings, spam, insults without content.
    ("intent_other", "ru", "ru", "other", "other", "normal", None, "Добрый вечер всем!"),
    ("intent_other", "ru", "ru", "other", "other", "normal", None, "Вы все там бездельники и воры"),
    ("intent_other", "ru", "ru", "other", "other", "normal", None, "Заработок от 50 000 в день, пиши в лс"),
    ("intent_other", "kk", "kk", "other", "other", "normal", None, "Сәлем!!!"),
    ("intent_other", "en", "en", "other", "other", "normal", None, "hello??"),
    ("intent_other", "kk", "kk", "other", "other", "normal", None, "Ұятсыздар, бәрің де ұрысыңдар"),
    ("intent_other", "en", "en", "other", "other", "normal", None, "you are all useless idiots"),
    # Thanks that mention a past problem.
    ("intent_gratitude_past_problem", "ru", "ru", "labour_relations", "gratitude", "normal", None,
     "Спасибо, после моего обращения наконец выплатили долг по зарплате за три месяца."),
    ("intent_gratitude_past_problem", "ru", "ru", "social_benefits", "gratitude", "normal", None,
     "Благодарю отдел соцзащиты: полгода не могли оформить пособие, а вы решили за неделю."),
    ("intent_gratitude_past_problem", "kk", "kk", "pension", "gratitude", "normal", None,
     "Рахмет, ұзақ кешіктірілген зейнетақымды ақыры аудардыңыздар."),
    ("intent_gratitude_past_problem", "en", "en", "pension", "gratitude", "normal", None,
     "Thank you, my mother's pension was finally recalculated after months of delays."),
    # Other languages.
    ("lang_other", "ky", "other", "pension", "question", "normal", None,
     "Саламатсызбы, пенсиямды качан көбөйтөт? Мага жардам бериңизчи."),
    ("lang_other", "uz", "other", "pension", "question", "normal", None,
     "Assalomu alaykum, onamning pensiyasi qachon oshadi? Iltimos javob bering."),
    ("lang_other", "tr", "other", "pension", "question", "normal", None,
     "Merhaba, Kazakistan'da emekli maaşı için hangi belgeler gerekiyor?"),
    ("lang_other", "de", "other", "labour_relations", "question", "normal", "KZ-75",
     "Guten Tag, ich arbeite in Almaty und mein Arbeitgeber zahlt mir den Urlaub nicht. Was kann ich tun?"),
    ("lang_other", "uz", "other", "social_benefits", "question", "normal", None,
     "Ассалому алайкум, болалар нафақаси қачон тўланади?"),
    ("lang_other", "ky", "other", "labour_relations", "complaint", "high", None,
     "Менин айлыгым үч айдан бери төлөнбөй жатат, балдарга тамак жок."),
    ("lang_other", "tr", "other", "labour_relations", "question", "normal", None,
     "İşverenim bu ay maaşımı eksik ödedi, ne yapmalıyım?"),
    ("lang_other", "de", "other", "pension", "question", "normal", None,
     "Wann wird die Rente in Kasachstan erhöht und wo kann ich das nachlesen?"),
    # Topic in Kazakh scripts.
    ("topic_kazakh", "kk", "kk", "social_benefits", "question", "normal", None,
     "Көпбалалы отбасыларға берілетін жәрдемақы мөлшері қанша?"),
    ("topic_kazakh", "kk", "kk", "pension_savings", "question", "normal", None,
     "БЖЗҚ-дағы жинағымды тұрғын үйге алуға бола ма?"),
    ("topic_kazakh", "kk", "kk", "migration", "question", "normal", None,
     "Қандас мәртебесін алу үшін қандай құжаттар керек?"),
    ("topic_kazakh", "kk", "kk", "social_insurance", "question", "normal", None,
     "Декреттік демалыс кезінде әлеуметтік төлемді кім төлейді?"),
    ("topic_kazakh", "kk", "kk", "employment", "question", "normal", None,
     "Жұмыспен қамту орталығы арқылы тегін оқуға қалай жазылуға болады?"),
    ("topic_kazakh", "kk", "kk", "disability", "question", "normal", None,
     "Мүгедектік тобын қайта куәландыру қашан өтеді?"),
    ("topic_kazakh", "kk_latin_casual", "kk", "social_benefits", "question", "normal", None,
     "Salemetsiz be, balalarga zhardemaqy qashan tusedi?"),
    ("topic_kazakh", "kk", "kk", "pension", "question", "normal", None,
     "Зейнеткерлікке шығу жасы әйелдер үшін қанша?"),
    # In remit or not.
    ("topic_remit", "kk", "kk", "other", "question", "normal", None,
     "Пәтерге коммуналдық төлемдер тым қымбат, оны кім реттейді?"),
    ("topic_remit", "ru", "ru", "other", "question", "normal", None,
     "Как встать в очередь на арендное жильё в акимате?"),
    ("topic_remit", "ru", "ru", "other", "question", "normal", None,
     "Когда в нашем доме починят батареи, в квартире плюс четырнадцать?"),
    ("topic_remit", "ru", "ru", "other", "question", "normal", None,
     "В больнице отказываются делать операцию по квоте, куда жаловаться?"),
    ("topic_remit", "en", "en", "social_benefits", "question", "normal", None,
     "How do I apply for special social services at home for my elderly father?"),
    ("topic_remit", "en", "en", "other", "question", "normal", None,
     "Who do I contact about my hospital treatment being postponed again?"),
    # Places.
    ("region", "ru", "ru", "pension", "complaint", "normal", "KZ-39",
     "Живу в Житикаре, пенсию пересчитали неправильно и ничего не объясняют."),
    ("region", "ru", "ru", "labour_relations", "complaint", "normal", "KZ-55",
     "Я родом из Аркалыка, сейчас работаю в Экибастузе на разрезе, зарплату урезали без приказа."),
    ("region", "ru", "ru", "social_benefits", "complaint", "normal", "KZ-19",
     "Пишу из села Узынагаш, пособие на ребёнка не приходит уже месяц."),
    ("region", "kk", "kk", "pension", "question", "normal", "KZ-62",
     "Жезқазғанда тұрамын, зейнетақы қашан көтеріледі?"),
    ("region", "ru", "ru", "labour_relations", "complaint", "normal", "KZ-35",
     "г. Шахтинск, шахтёрам не доплачивают за вредность уже второй год."),
    ("region", "en", "en", "labour_relations", "complaint", "normal", "KZ-47",
     "I'm from Taraz but I work in Aktau, my employer still hasn't signed a contract with me."),
    ("region", "ru", "ru", "social_insurance", "question", "normal", "KZ-15",
     "Мы в Кандыагаше, муж потерял работу на заводе, как оформить выплату из ГФСС?"),
    ("region", "kk", "kk", "employment", "question", "normal", "KZ-63",
     "Риддерде тұрамын, жұмыссыз қалдым, қандай көмек бар?"),
    ("region", "ru", "ru", "social_benefits", "question", "normal", "KZ-47",
     "Здравствуйте, пишу из Жанаозена. Когда будут выплаты многодетным?"),
    ("region", "ru", "ru", "disability", "complaint", "normal", "KZ-11",
     "Степногорск, второй месяц не могу оформить пособие по инвалидности."),
    ("region", "kk", "kk", "social_benefits", "complaint", "normal", "KZ-61",
     "Шардара ауданынан жазып отырмын, жәрдемақы тоқтап қалды."),
    ("region", "ru", "ru", "employment", "question", "normal", "KZ-39",
     "Лисаковск, хочу переобучиться на сварщика через центр занятости, это бесплатно?"),
    ("region", "en", "en", "pension", "question", "normal", "KZ-35",
     "Writing from Balkhash: when is the pension indexation this year?"),
    ("region", "kk", "kk", "labour_relations", "complaint", "normal", "KZ-23",
     "Құлсарыда вахтамен жұмыс істеймін, қосымша сағаттарды төлемейді."),
    ("region", "ru", "ru", "pension", "question", "normal", "KZ-10",
     "Мы из Урджара, подскажите, как оформить пенсию по выслуге лет?"),
    ("region", "ru", "ru", "employment", "question", "normal", "KZ-59",
     "Живу в Тайынше, где пройти курсы от центра занятости?"),
)  # fmt: skip

_KAZAKH_SCRIPTS = (
    ("kk_cyrillic", lambda text: text),
    ("kk_letterless", lambda text: text.translate(_PLAIN)),
    ("kk_latin2021", to_latin_2021),
)


def rows_of(row: Row) -> list[dict[str, Any]]:
    category, script, lang, topic, intent, urgency, region, text = row
    variants = _KAZAKH_SCRIPTS if script == "kk" else ((script, lambda text: text),)
    return [
        {"text": convert(text), "lang": lang, "topic": topic, "intent": intent, "urgency": urgency,
         "region": region, "pii": [], "category": category, "script": name}
        for name, convert in variants
    ]  # fmt: skip


def split() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dev: list[dict[str, Any]] = []
    test: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for row in ROWS:
        index = seen.get(row[0], 0)
        seen[row[0]] = index + 1
        (dev if index % 2 == 0 else test).extend(rows_of(row))
    return dev, test


def main() -> None:
    dev, test = split()
    for name, rows in (("categories_dev.jsonl", dev), ("categories_test.jsonl", test)):
        with (DATA_DIR / name).open("w", encoding="utf-8") as out:
            out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    print(f"categories_dev.jsonl: {len(dev)} rows, categories_test.jsonl: {len(test)} rows")


if __name__ == "__main__":
    main()
