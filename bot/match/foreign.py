"""Names of other countries and languages, from Babel's CLDR data, in every language served."""

from __future__ import annotations

from babel import Locale

from bot.kb import Catalog
from bot.lang import tokenize

__all__ = ["foreign_names"]


def foreign_names(catalog: Catalog) -> dict[tuple[str, ...], str]:
    """Folded names of countries, territories and languages the knowledge base never mentions.

    The languages served and the lexicon's ``known_codes`` (the countries the
    knowledge base is about) are left out, as are names that are ordinary
    words of the knowledge base.
    """
    known: set[str] = set()
    for intent in catalog.intents:
        for lang in catalog.codes:
            for text in (*intent.phrases[lang], intent.answer[lang], intent.title[lang]):
                known.update(t.word for t in tokenize(text))
    known |= catalog.lexicon.all_stopwords
    own = {*catalog.codes, *catalog.lexicon.known_codes}
    names: dict[tuple[str, ...], str] = {}
    for language in catalog.languages:
        locale = Locale.parse(language.locale)
        for table in (locale.territories, locale.languages):
            for code, name in table.items():
                # Regions (numeric codes) and minor languages (three-letter
                # codes) are left out: their names clash with ordinary words.
                if code in own or code.isdigit():
                    continue
                if table is locale.languages and len(code) != 2:
                    continue
                words = tuple(t.word for t in tokenize(name))
                if not words or (len(words) == 1 and (len(words[0]) < 3 or words[0] in known)):
                    continue
                if len(words) > 1 and all(w in known for w in words):
                    continue
                names[words] = code
    return names
