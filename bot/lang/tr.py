"""Turkish.

Stems are the first five letters: for an agglutinative language typed with or
without its own letters, that groups a word's forms better than Snowball,
which over-stems (``kültür`` -> ``kül``, ``toplantı`` -> ``topla``).
"""

from __future__ import annotations

from bot.lang.base import Language

__all__ = ["LANGUAGE", "Turkish"]

_STEM_LETTERS = 5


class Turkish(Language):
    """Turkish: prefix stems; case endings mark the source and the target of a relation."""

    def stem(self, word: str) -> str:
        return word if not word or word[0].isdigit() else word[:_STEM_LETTERS]


LANGUAGE = Turkish(
    code="tr",
    letters="çğıöşüÇĞİÖŞÜ",
    endings=(
        "lar|ler|lari|leri|dir|dır|dur|tir|nin|nın|daki|deki|dan|den|mis|miz|niz|yor|yor[a-z]+|"
        "mak|mek|misin|midir|misiniz|siniz"
    ),
    apostrophe_suffixes=True,
    # Genitive and ablative: the source ("Kazakistan'ın yatırımları", "Türkiye'den
    # ithalat"); locative and dative: the target ("Türkiye'deki", "Kazakistan'a").
    source_endings=frozenset(
        "dan den tan ten in nin un nun im inki ninki inkiler ninkiler".split()
    ),
    target_endings=frozenset("da de ta te daki deki taki teki a e ya ye".split()),
    genitive_endings=frozenset("in nin un nun im inki ninki inkiler ninkiler".split()),
    glues_case_endings=True,
    inflections=frozenset("la le yla yle lar ler li lu i yi u yu".split()),
    names=frozenset(
        {
            "turkish",
            "turkce",
            "tr",
            "turkcesi",
            "turkcesini",
            "turkceye",
            "turkceyle",
            "turkcesiyle",
        }
    ),
    switch_words=frozenset(
        "alabilir anlat anlatir anlatabilir bir bu bunu cevabi cevabini cevap cevir cevirir ne nedir "
        "cevirebilir da daha de dilinde eder edebilir gec ister isterim istiyorum kez konus "
        "konusur lutfen mi misin misiniz miyim mu musun olarak onu peki simdi sor soyle soyler "
        "soyleyebilir tekrar tekrarlar tekrarlayabilir ve ver verebilir verir yanit yaniti "
        "yanitini yanitla yaz yazabilir yazar".split()
    ),
    next_words=frozenset("ardindan sonra sonraki sonrakine sonrakini sonrasi".split()),
    previous_words=frozenset("once onceki oncekini oncesi".split()),
    flip_phrases=("tam tersi", "tersi", "tersine", "diger yonde", "obur turlu", "aksi"),
    follow_up_words=frozenset("bu bunu bunun kac o onu onun peki sey seyi ve ya".split()),
    pronouns=frozenset("o onu onun onlar onlari onlarin".split()),
    demonstratives=frozenset("bu bunu bunun bunlar bunlarin su sunu bununla".split()),
    range_dash="-",
    focus_after=frozenset({"hangi"}),
    focus_direct=frozenset({"hangi"}),
    focus_noun_first=True,
    focus_before=frozenset(
        "ne nedir neydi nelerdir neler kim kimdir kimdi kimler kimlerdir nerede neresi "
        "neresidir nereye nereden".split()
    ),
    possessive_endings=("si", "su", "i", "u"),
    count_before=("kac",),
    count_after=("sayisi",),
    context_leads=(
        "ben ",
        "benim",
        "adim",
        "ogretmenim",
        "hocam",
        "odevim",
        "odev icin",
        "rapor icin",
        "proje icin",
        "simdiden tesekkur",
        "iyi gunler",
        "kolay gelsin",
        "bir sorum var",
        "sorum var",
        "yaziyorum",
        "hazirliyorum",
        "calisiyorum",
        "arastiriyorum",
    ),
    context_endings=("yim", "yum", "im", "um"),
    conjunctions=frozenset({"ve", "ayrica", "peki"}),
    passive_endings=(
        "ildi",
        "uldu",
        "ilmis",
        "ulmus",
        "ilir",
        "ulur",
        "indi",
        "undu",
        "lendi",
        "landi",
        "lenmis",
        "lanmis",
        "ildigi",
        "uldugu",
        "lendigi",
        "landigi",
        "lenen",
        "lanan",
    ),
    agent_words=frozenset({"tarafindan"}),
    vague_nouns=frozenset("cesit sey seyler taraf tur turde yer yeri yerde".split()),
    question_words=frozenset(
        "ne neden niye nicin nasil kim kimin kime kac kacinci hangi nerede nereye neresi nedir "
        "mi mu misin musun midir mudur".split()
    ),
    question_leads=(
        "merak ediyorum",
        "merak ettim",
        "ogrenmek istiyorum",
        "bilmek istiyorum",
        "ogrenmek isterim",
        "bilmek isterim",
        "soyler misiniz",
        "soyler misin",
        "soyleyebilir misiniz",
        "soyleyebilir misin",
        "biliyor musunuz",
        "biliyor musun",
        "bilgi verir misiniz",
        "bilgi verir misin",
        "aciklar misiniz",
        "aciklar misin",
        "ogrenebilir miyim",
        "ogrenebilir miyiz",
        "sorabilir miyim",
        "bilgi alabilir miyim",
        "yardimci olur musunuz",
        "yardimci olabilir misiniz",
        "rica etsem",
        "anlatir misiniz",
        "anlatir misin",
        "sorum su",
        "sorum",
    ),
)
