"""User-interface strings, translated with gettext catalogs under ``locales/``.

English is the source language; ``locales/tr/LC_MESSAGES/messages.po`` holds
the Turkish. The ``.po`` files are read directly with Babel, so there is no
compile step to forget.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from bot._paths import bundled

__all__ = ["DOMAIN", "N_", "Translator", "bundled_locales"]

DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


def bundled_locales() -> Path:
    """The bundled ``locales/`` directory: inside the wheel, or the repository's."""
    return bundled("locales")


class Translator:
    """Looks up the translation of a UI string; falls back to English."""

    def __init__(self, tables: dict[str, dict[str, str]]) -> None:
        self._tables = tables

    @classmethod
    def load(cls, directory: Path | None = None) -> Translator:
        directory = directory or bundled_locales()
        tables: dict[str, dict[str, str]] = {}
        for po_path in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            lang = po_path.parent.parent.name
            with po_path.open("rb") as handle:
                catalog = read_po(handle, locale=lang)
            tables[lang] = {
                str(m.id): str(m.string)
                for m in catalog
                if m.id
                and isinstance(m.id, str)
                and isinstance(m.string, str)
                and m.string
                and not m.fuzzy
            }
        return cls(tables)

    def gettext(self, message: str, lang: str) -> str:
        return self._tables.get(lang, {}).get(message, message)
