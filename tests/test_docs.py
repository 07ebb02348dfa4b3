"""The curator's guide describes every key the loader accepts, and the links in the docs hold."""

from __future__ import annotations

import re
from pathlib import Path

from bot.kb import catalog
from bot.kb.values import VALUE_KINDS

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "knowledge-base.md"


def documented() -> set[str]:
    return set(re.findall(r"`([a-z_]+)`", GUIDE.read_text(encoding="utf-8")))


def test_every_key_of_every_file_is_documented() -> None:
    keys = {*catalog._FILE_KEYS, *catalog._INTENT_KEYS, *catalog._LEXICON_KEYS, *VALUE_KINDS}
    assert keys - documented() == set()


def test_the_knowledge_base_points_at_the_guide_and_the_guide_exists() -> None:
    for path in sorted((ROOT / "intents").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"[\w./-]+\.md", text):
            assert (ROOT / name).is_file() or (ROOT / "intents" / name).is_file(), (path, name)
    assert "docs/knowledge-base.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_local_links_in_the_docs_resolve() -> None:
    for doc in (ROOT / "README.md", GUIDE, ROOT / "deploy" / "README.md"):
        if not doc.is_file():
            continue
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert (doc.parent / target).exists(), (doc.name, target)
