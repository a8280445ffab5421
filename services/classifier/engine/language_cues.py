"""Word lists and letter cues for language identification (see language.py): Russian, Kazakh in
Cyrillic and Latin script, English, and the neighbours that must come out as "other" (Kyrgyz,
Uzbek, Turkish, German)."""

from __future__ import annotations

import re

from .text import fold


def _word_set(words: str) -> frozenset[str]:
    """A set from whitespace-separated words (keeps long vocabularies readable)."""
    return frozenset(words.split())


RU_WORDS = _word_set(
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
KK_WORDS = frozenset(
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
        сондықтан себебі әлі әкім әкімдік аудан ауданы облысы қаласы хабарлама
        """
    )
)
KK_SUFFIX_RE = re.compile(
    r"(?:мын|мин|мыз|миз|сыз|сиз|ныз|низ|дагы|деги|тагы|теги|ларды|лерди|дарды|терди|лардын|"
    r"лердин|ымды|имди|ымыз|имиз|уге|уга|ипти|ыпты|ушин)$"
)
KK_LATIN_WORDS = _word_set(
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
    kurmetti qurmetti ministrlik kai qai kalai qalai jerde zherde eshkim eshkandai eshqandai
    jauap zhauap beri meni sabak sabaq aleumettik atauly neshe birak biraq jaksy
    zhaksy zhaqsy jaqsy zhazyp jazyp otyr otyrmyn khabarlama habarlama khabar somasy kuni
    ortalygy ortalyqqa ortalykka bolimshe bolimshesi
    """
)
# Kyrgyz and Uzbek share much with Kazakh; their own words (Cyrillic folded, Latin) mean "other".
OTHER_TURKIC_WORDS = _word_set(
    """
    саламатсызбы кантип качан мага жардам болот келет учун эмне барбы жокпу тушот чыгат
    акча алсам иштейм берилбейт толонбойт эмгек окмот суроо жооп кылам жатышат жатат
    assalomu alaykum qachon menga yordam kerak uchun bilan nima iltimos pensiya nafaqa oylik
    haqida boladi yoq qanaqa qayerda ishlayman olmayapman berilmayapti kerakmi
    katta juda yordamingiz yordamingizga tashakkur rahmatlar maosh maoshim hozir nega qayer
    qayerga shahar viloyat emas qiling qildi olish berish ishim ishlamayapti bormi menga bizga
    sizga ular hamma hammaga hammasi
    """
)
# Kyrgyz cues in a word: long vowels written double (өө, үү, ээ) and rounded vowels repeated in
# the next syllable («төлөбөй», «бүгүн»); Kazakh writes «төлемей», «бүгін».
KYRGYZ_WORD_RE = re.compile("өө|үү|ээ|ө[^аеёиоуыэюяөү]{1,2}ө|ү[^аеёиоуыэюяөү]{1,2}ү")
# ў (Uzbek, Belarusian) and ҳ (Uzbek, Tajik) never occur in ru, kk or en text.
OTHER_LETTERS = frozenset("ўҳЎҲ")
EN_GREETINGS = frozenset({"hello", "hi", "hey", "greetings", "good", "morning", "evening", "dear"})
KK_LATIN_SUFFIX_RE = re.compile(
    r"(?:myn|ymyz|imiz|syz|nyz|niz|lary|dagy|daghy|degi|ushin|ymdy|imdi|tyn|dyn|nyn|ga|ge|qa|"
    r"eidi|aidy|meidi|maidy|beidi|baidy|peidi|paidy|tagy|tegi|ynda|ynan|lardy|lerdi|dardy|"
    r"derdi|tardy|terdi|leri|dary|tary|myz|miz|siz|"
    # Casual Latin Kazakh (j/k for ж/қ, no 2021 letters) with endings English words lack: the
    # first person («tirkelemin»), the converb «-yp», «-lyq/-lik» nouns, a possessive «-si/-sy»,
    # the third person «-edi/-ydy», the locative after a consonant («jerde», «Almatyda»).
    r"emin|imin|ymyn|amyn|yp|lik|lyk|lyq|dik|dyk|dyq|tik|tyk|tyq|esi|isi|ysy|ydy|edi|idi|"
    r"gady|qady|kady|ylady|yda|rde|rda|zde|zda|lde|lda|nde|ntte|ntta|gyna|gine|kyna|kine)$"
)
# Turkish and German in Latin script are "other"; their own function words outvote Kazakh cues
# (they share ö, ü, ş, ğ, ı with the 2021 Kazakh alphabet).  Words casual Latin Kazakh also writes
# («bir», «siz», «den») are left out.
FOREIGN_LATIN_WORDS = _word_set(
    """
    ve için icin ile çok cok daha ama gibi değil degil nasıl nasil neden merhaba lütfen
    lutfen teşekkür tesekkur ederim benim bana beni olan olarak hangi gerekiyor
    yapmalıyım yapmaliyim maaş maas maaşımı maasimi işveren isveren emekli ödedi odedi
    ich und der die das nicht ist mein meine meinen mir mich wir wann wird kann was wie wo guten
    tag bitte danke arbeite arbeitgeber zahlt lohn rente urlaub habe haben auf mit für fur von
    zu bei nach oder aber auch noch schon dem des ein eine einen sind erhöht nachlesen
    """
)
# Letters of the 2021 Kazakh alphabet that English lacks: ñ, ū, ä, ı (Turkish and German share
# some; their function words are counted first) and q not followed by u («qazaq», not «question»).
KK_2021_LETTER_RE = re.compile("[ñūäı]|q(?!u)")
# Letters only Kazakh (of ru/kk/en) writes in Latin script: ä ö ü ū ı ğ ş ñ, q, and the casual «zh»
# (ж); English almost never has them, so only such text is worth transliterating word by word.
KK_LATIN_LETTERS_RE = re.compile("[äöüūığşñqÄÖÜŪİĞŞÑQ]|zh|Zh|ZH")
# Turkish ı is a back vowel (with a, o, y); the 2021 Kazakh ı is і, a front vowel that never
# shares a native word with them.  So «maaşımı», «yapmadı» are Turkish, «berılmeidı» Kazakh.
TURKISH_I_RE = re.compile("ı.*[aoyū]|[aoyū].*ı")
# Uzbek Latin writes o‘ and g‘ (with an apostrophe of some kind): never Kazakh.
UZBEK_LATIN_RE = re.compile(r"[og]['‘’ʻ`][a-z]", re.IGNORECASE)
EN_WORDS = _word_set(
    """
    the a an is are was were be been i my me you your we our he she it they of to in on for
    with from at by and or not no do does did can could would should will how what when
    where why which who please hello hi thank thanks dear get got have has had this that
    there here am
    """
)
# Letters of Ukrainian/Belarusian that Kazakh lacks: "і" alone is not proof of Kazakh.
NOT_KAZAKH_LETTERS = frozenset("їєґў")
MIN_VOTES = 2
SHORT_TEXT = 3  # words; one clear vote decides a text this short
