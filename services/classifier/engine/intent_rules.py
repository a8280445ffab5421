"""Intent cues the trained model gets wrong: grievances asked as questions, content-free insults,
thanks for a problem that has been solved.

Patterns run on the folded model text (see text.model_text), like those in rules.py.
"""

from __future__ import annotations

import re

from .text import words

# Something done to the writer: a refusal, non-payment, a violation, mistreatment, corruption, or
# a rhetorical «is this normal?».  Asked with a question mark it is still a complaint.
_GRIEVANCE_RE = re.compile(
    r"(?<!\w)(?:"
    r"отказал\w*|отказыва\w*|отказ\w*\s+в\s|бас\s+тарт\w*|refused|denied|rejected|"
    r"не\s+(?:платят|плат[ия]т|выплачива\w*|выплатил\w*|перечисл\w*|оплатил\w*|оплачива\w*|"
    r"доплачива\w*|переводил\w*|заплатил\w*)|недоплат\w*|урезал\w*|снизил\w*|сократил\w*|"
    r"толемей\w*|толенбей\w*|токтатт\w*|not\s+paid|without\s+pay|unpaid|paid\s+only|was\s+cut|"
    r"наруша\w*|нарушил\w*|незаконн\w*|без\s+(?:приказа|договора|объяснени\w*|причин\w*|"
    r"предупреждени\w*)|зансыз\w*|негизсиз\w*|illegal\w*|unlawful\w*|without\s+(?:any\s+)?"
    r"(?:letter|explanation|reason|contract|notice)|"
    r"нахамил\w*|хамят|хамств\w*|грубо|оскорб\w*|унижа\w*|выгнал\w*|игнорир\w*|ignor\w*|rude\w*|"
    r"insult\w*|humiliat\w*|"
    r"взятк\w*|(?:потребовал\w*|требу\w*|вымога\w*)\s+(?:\w+\s+)?деньги|пара\s+сура\w*|жемкор\w*|"
    r"bribe\w*|corrupt\w*|"
    r"(?:разве\s+)?это\s+(?:вообще\s+)?(?:нормально|законно|справедливо)|как\s+можно\s+было|"
    r"у\s+вас\s+так\s+(?:принято|работают)|доколе|сколько\s+можно|кто\s+(?:за\s+это\s+)?(?:ответит|накажет)|"
    r"бул\s+(?:зан(?:ды|ды)|дурыс)\s+ма|ким\s+жауап\s+береди|"
    # «Is it legal to work two jobs?» asks; «is this legal?» about what was done complains.
    r"is\s+(?:this|that)\s+(?:fair|legal|normal|acceptable)|is\s+it\s+(?:fair|normal|acceptable)(?!\s+to)|"
    r"how\s+is\s+(?:this|that|it)\s+fair"
    r")"
)
# A hypothetical before the grievance makes it no grievance of the writer's («если работодатель
# не платит…»); «…, если все документы в порядке» after it does not.
_HYPOTHETICAL_RE = re.compile(r"(?<!\w)(?:если|в\s+случае|егер|if)(?!\w)")
# A procedural follow-up makes the message a question after all: «можно ли подать заново?».
_QUESTION_AFTER_ALL_RE = re.compile(
    r"(?<!\w)(?:можно\s+ли|могу\s+ли|имею\s+ли|куда|где|какие\s+документы|в\s+какой\s+срок|"
    r"калай|кайда|кандай\s+кужат|where|can\s+i|could\s+i|how\s+(?:do|can|should)\s+i)(?!\w)"
)
_INSULT_RE = re.compile(
    r"(?<!\w)(?:идиот\w*|дурак\w*|дебил\w*|бездельник\w*|вор[ыа]?|воров|воруете|клоун\w*|туп(?:ые|ицы)|"
    r"бестолоч\w*|акымак\w*|урылар|урысындар|урысыз|уятсыз\w*|бос\s+сандар|idiots?|morons?|clowns?|"
    r"thieves|useless|stupid|incompetent)(?!\w)"
)
_INSULT_ONLY_MAX_WORDS = 10
# Thanks for a solved problem: the problem it names is over («наконец выплатили долг»).
_RESOLVED_RE = re.compile(
    r"(?<!\w)(?:наконец\w*|выплатил\w*|перечислил\w*|решил\w*|помогл\w*|помогли|восстановил\w*|"
    r"назначил\w*|пересчитал\w*|вернул\w*|акыры|аударды\w*|толеди\w*|тусти|шешилди|шешти\w*|"
    r"комектест\w*|finally|resolved|fixed|recalculated|was\s+paid|were\s+paid|sorted)(?!\w)"
)


def grievance_question(model_text: str) -> bool:
    """A grievance asked as a question («почему мне не платят, это законно?»): a complaint."""
    if "?" not in model_text or _QUESTION_AFTER_ALL_RE.search(model_text):
        return False
    grievance = _GRIEVANCE_RE.search(model_text)
    if grievance is None:
        return False
    hypothetical = _HYPOTHETICAL_RE.search(model_text)
    return hypothetical is None or hypothetical.start() > grievance.start()


def insult_only(model_text: str) -> bool:
    """A short insult with nothing to act on («вы все идиоты»)."""
    if model_text.count(" ") >= _INSULT_ONLY_MAX_WORDS:  # cheap bound before the word count
        return False
    return len(words(model_text)) <= _INSULT_ONLY_MAX_WORDS and bool(_INSULT_RE.search(model_text))


def resolved(model_text: str) -> bool:
    """The message says a problem was solved (read together with a thanks marker)."""
    return bool(_RESOLVED_RE.search(model_text))
