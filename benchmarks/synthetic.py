"""Synthetic knowledge bases of any size, in both languages, and questions for them.

    .venv/bin/python benchmarks/synthetic.py DIR SIZE [--seed N]

A base of ``SIZE`` intents is the bundled knowledge base (its lexicon,
topics, values, source document and 33 intents, so the development set's
questions still have their answers) plus ``SIZE - 33`` generated intents. The
generated ones are facts under the bundled topics, each quoting a sentence
of its own added to ``source.txt``, and read like the real ones:

- their words are the bundled phrases' own words (real questions, in both
  languages, with the lexicon's concepts), ~200 common domain words, and
  made-up words from each language's syllables to reach ~6,000 words per
  language (the long tail of a large document: names of projects, places,
  products); Turkish words sometimes carry a case ending or a plural;
- each intent has three key words and one proper name per language; its
  phrases join a question lead ("how much", "ne zaman") to one or two key
  words, maybe its name, and fillers drawn with a Zipf distribution (some
  words are in thousands of phrases, as in real text);
- eight phrases per language, an answer naming its key words.

:func:`questions` mixes paraphrases (a word swapped), misspellings (a typo
and a word dropped), word salad from the vocabulary and unknown words.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.kb import Catalog

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "intents"
SEED = 20240501
VOCABULARY = 6000
PHRASES = 8
PER_FILE = 500

EN_REAL = """
trade export import volume agreement treaty council meeting summit minister president embassy
consulate visit railway pipeline energy oil gas investment company firm project bank loan fund
student university school scholarship language culture museum festival film music sport team
tourism flight airline airport port harbour road bridge hospital health medicine vaccine farm
wheat grain cotton textile steel copper uranium mine factory plant industry sector market price
tax customs border visa passport citizen worker labour contract construction building housing
water river lake sea climate weather season winter summer spring autumn history war peace army
defence security police court law parliament election party vote committee office
agency bureau ministry department program plan strategy goal target growth rate share
percent million billion dollar euro currency payment credit debt budget revenue income profit
network internet phone mobile satellite space science research laboratory institute academy
library book newspaper radio television channel news report survey census population city
town village region province capital district island mountain forest desert valley coast
""".split()

TR_REAL = """
ticaret ihracat ithalat hacim anlaşma antlaşma konsey toplantı zirve bakan cumhurbaşkanı
büyükelçilik konsolosluk ziyaret demiryolu boru enerji petrol doğalgaz yatırım şirket firma
proje banka kredi fon öğrenci üniversite okul burs dil kültür müze festival film müzik spor
takım turizm uçuş havayolu havalimanı liman yol köprü hastane sağlık ilaç aşı çiftlik buğday
tahıl pamuk tekstil çelik bakır uranyum maden fabrika tesis sanayi sektör pazar fiyat vergi
gümrük sınır vize pasaport vatandaş işçi emek sözleşme inşaat bina konut su nehir göl deniz
iklim hava mevsim kış yaz ilkbahar sonbahar tarih savaş barış ordu savunma güvenlik polis
mahkeme hukuk meclis seçim parti oy komite ofis ajans büro bakanlık daire program plan strateji
hedef büyüme oran pay yüzde milyon milyar dolar avro para ödeme borç bütçe gelir kâr ağ
telefon uydu uzay bilim araştırma laboratuvar enstitü akademi kütüphane kitap gazete radyo
televizyon kanal haber rapor anket nüfus şehir kasaba köy bölge il başkent ilçe ada dağ orman
çöl vadi kıyı
""".split()

LEADS = {
    "en": [
        "what is",
        "what was",
        "how much",
        "how many",
        "when did",
        "where is",
        "who signed",
        "tell me about",
        "which",
        "is there",
        "what about",
        "",
    ],
    "tr": [
        "ne kadar",
        "kaç",
        "ne zaman",
        "nerede",
        "kim",
        "hangi",
        "nedir",
        "hakkında bilgi",
        "var mı",
        "neydi",
        "",
    ],
}
EN_SYLLABLES = [c + v for c in "bcdfghklmnprstvwz" for v in "aeiou"] + ["th", "st", "ck", "ng"]
TR_SYLLABLES = [c + v for c in "bcçdfgğhklmnprsştvyz" for v in "aeıioöuü"] + ["lar", "ler", "ş"]
SYLLABLES = {"en": EN_SYLLABLES, "tr": TR_SYLLABLES}
REAL = {"en": EN_REAL, "tr": TR_REAL}
TR_ENDINGS = ["ler", "lar", "de", "da", "den", "nin", "nın", "i", "ı", "e", "a"]
NAME_SYLLABLES = ["ka", "ra", "tau", "al", "ma", "ty", "ser", "ik", "su", "bek", "tas", "or", "da"]


def _made_up(rng: random.Random, syllables: list[str], seen: set[str]) -> str:
    while True:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if len(word) >= 4 and word not in seen:
            seen.add(word)
            return word


def load_bundled() -> Catalog:
    """The bundled knowledge base."""
    from bot.kb import load_catalog

    return load_catalog(BUNDLED)


def _bundled_words(lang: str) -> list[str]:
    """The words of the bundled phrases of one language, most frequent first."""
    from bot.lang import tokenize

    counts: dict[str, int] = {}
    for intent in load_bundled().intents:
        for phrase in intent.phrases[lang]:
            for token in tokenize(phrase):
                if token.word.isalpha() and len(token.word) > 2:
                    counts[token.word] = counts.get(token.word, 0) + 1
    return sorted(counts, key=lambda w: -counts[w])


def vocabulary(rng: random.Random, lang: str, size: int = VOCABULARY) -> list[str]:
    """Real words first (the bundled phrases', then common domain words), then made-up ones."""
    words = list(dict.fromkeys([*_bundled_words(lang), *REAL[lang]]))
    seen = set(words)
    while len(words) < size:
        words.append(_made_up(rng, SYLLABLES[lang], seen))
    return words


def _inflect(rng: random.Random, lang: str, word: str) -> str:
    if lang == "tr" and rng.random() < 0.25:
        return word + rng.choice(TR_ENDINGS)
    if lang == "en" and rng.random() < 0.1:
        return word + "s"
    return word


def generate(directory: Path, size: int, seed: int = SEED) -> dict[str, list[str]]:
    """Write a knowledge base of ``size`` intents into ``directory``; its phrases per language.

    The result also holds each language's vocabulary (``vocabulary_en``,
    ``vocabulary_tr``), which :func:`questions` draws from.
    """
    from bot.lang.text import fold

    rng = random.Random(seed + size)
    directory.mkdir(parents=True, exist_ok=True)
    for path in BUNDLED.iterdir():
        if path.suffix in (".yaml", ".txt"):
            shutil.copy(path, directory / path.name)
    bundled = load_bundled()
    topics = [t for t in bundled.topics if t != "smalltalk"]
    words = {lang: vocabulary(rng, lang) for lang in ("en", "tr")}
    # Zipf over the vocabulary: the bundled (real) words are the frequent ones.
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(VOCABULARY)))
    seen = {
        " ".join(fold(p).split()).strip(" ?.!")
        for intent in bundled.intents
        for texts in intent.phrases.values()
        for p in texts
    }
    material: dict[str, list[str]] = {
        lang: [p for i in bundled.intents for p in i.phrases[lang]] for lang in ("en", "tr")
    }
    names: set[str] = set()
    source_lines: list[str] = []
    generated = max(0, size - len(bundled.intents))
    for start in range(0, generated, PER_FILE):
        lines = ["intents:"]
        for number in range(start, min(generated, start + PER_FILE)):
            name = _made_up(rng, NAME_SYLLABLES, names).capitalize()
            keys = {lang: rng.sample(words[lang][100:], 3) for lang in ("en", "tr")}
            phrases: dict[str, list[str]] = {"en": [], "tr": []}
            for lang in ("en", "tr"):
                suffix = "'in" if lang == "tr" else ""
                while len(phrases[lang]) < PHRASES:
                    rest = [
                        _inflect(rng, lang, w) for w in rng.sample(keys[lang], rng.randint(1, 2))
                    ]
                    rest += rng.choices(words[lang], cum_weights=cumulative, k=rng.randint(1, 3))
                    if rng.random() < 0.3:
                        rest.append(name + suffix)
                    rng.shuffle(rest)
                    lead = rng.choice(LEADS[lang])
                    parts = [*rest, lead] if lang == "tr" else [lead, *rest]
                    phrase = " ".join(p for p in parts if p)
                    key = " ".join(fold(phrase).split()).strip(" ?.!")
                    if key not in seen:
                        seen.add(key)
                        phrases[lang].append(phrase)
                material[lang] += phrases[lang]
            en, tr = keys["en"], keys["tr"]
            quote = f"The {en[0]} of {name} is about {en[1]} and {en[2]} (item {number})."
            source_lines.append(quote)
            lines += [
                f"  - id: synthetic.i{number:05d}",
                f"    topic: {rng.choice(topics)}",
                "    title:",
                f"      en: {json.dumps(phrases['en'][0].capitalize() + '?', ensure_ascii=False)}",
                f"      tr: {json.dumps(phrases['tr'][0].capitalize() + '?', ensure_ascii=False)}",
                "    phrases:",
            ]
            for lang in ("en", "tr"):
                lines.append(f"      {lang}:")
                lines += [f"        - {json.dumps(p, ensure_ascii=False)}" for p in phrases[lang]]
            answer_en = f"{name}: this answer explains {en[0]}, {en[1]} and {en[2]}."
            answer_tr = f"{name}: bu cevap {tr[0]}, {tr[1]} ve {tr[2]} konusunu açıklar."
            lines += [
                "    answer:",
                f"      en: {json.dumps(answer_en, ensure_ascii=False)}",
                f"      tr: {json.dumps(answer_tr, ensure_ascii=False)}",
                f"    source: {json.dumps(quote, ensure_ascii=False)}",
            ]
        path = directory / f"synthetic_{start // PER_FILE:03d}.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with (directory / "source.txt").open("a", encoding="utf-8") as source:
        source.write("\n\n" + "\n".join(source_lines) + "\n")
    material["vocabulary_en"] = words["en"]
    material["vocabulary_tr"] = words["tr"]
    return material


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def questions(material: dict[str, list[str]], count: int, seed: int = SEED) -> list[str]:
    """A realistic mix: paraphrased phrases, misspelt phrases, word salad, unknown words."""
    rng = random.Random(seed)
    result = []
    for n in range(count):
        lang = ("en", "tr")[n % 2]
        words = rng.choice(material[lang]).split()
        kind = n % 5
        if kind in (0, 1):  # a phrase with one word swapped for another
            words[rng.randrange(len(words))] = rng.choice(material[f"vocabulary_{lang}"])
        elif kind == 2:  # a phrase with a typo and a word dropped
            i = rng.randrange(len(words))
            words[i] = _typo(rng, words[i])
            if len(words) > 3:
                del words[rng.randrange(len(words))]
        elif kind == 3:  # word salad from the vocabulary
            words = rng.sample(material[f"vocabulary_{lang}"], rng.randint(3, 6))
        else:  # off-topic: a question word and words the base has never seen
            made_up = [
                "".join(rng.choice("bdfgklmnprstvz") + "aeiou"[rng.randrange(5)] for _ in range(3))
                for _ in range(3)
            ]
            words = [*words[:1], *made_up]
        result.append(" ".join(words))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("size", type=int)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    material = generate(args.directory, args.size, args.seed)
    print(f"{args.size:,} intents, {sum(len(material[lang]) for lang in ('en', 'tr')):,} phrases")


if __name__ == "__main__":
    main()
