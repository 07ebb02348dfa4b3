"""Coverage-guided fuzz target (atheris): the knowledge-base loader on arbitrary files.

    python fuzz/catalog.py fuzz/corpus/catalog -max_total_time=60

The first byte picks the mode:

- ``K`` or ``L``: the rest replaces the fixture's ``kb.yaml`` or ``lexicon.yaml``;
- ``M``: a type mutation of the real bundled knowledge base
  (``tests/support/kb_mutations.py``): byte 1 picks the file, bytes 2-4 the
  value, byte 5 what it becomes; 255 there makes the rest of the input the
  YAML text it becomes.

The loader may accept a file or refuse it with CatalogError; anything else is a
bug. A knowledge base it accepts must make an engine that answers.
"""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))

from kb_mutations import KEYS, SUFFIXES, SWAPS, KnowledgeBase, Mutation

from bot import CatalogError, Engine
from bot.kb.catalog import bundled_dir, load_catalog

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(tempfile.mkdtemp(prefix="kzbot-fuzz-"))
atexit.register(shutil.rmtree, WORK, ignore_errors=True)
FIXTURE = ROOT / "tests" / "fixtures" / "kb"
BUNDLED = KnowledgeBase.read(bundled_dir())
_MUTANT = WORK / "bundled"
shutil.copytree(bundled_dir(), _MUTANT)
_CHOICES = [
    *(("swap", what) for what in SWAPS),
    *(("suffix", what) for what in SUFFIXES),
    *(("key", what) for what in KEYS),
]


def mutation(data: bytes) -> Mutation:
    """The mutation that ``data`` (after the mode byte) describes."""
    data = data.ljust(6, b"\0")
    name = BUNDLED.names[data[1] % len(BUNDLED.names)]
    path = int.from_bytes(data[2:5], "big")
    if data[5] == 255:
        return Mutation(name, path, "swap", data[6:].decode("utf-8", errors="replace"))
    kind, what = _CHOICES[data[5] % len(_CHOICES)]
    return Mutation(name, path, kind, what)


def loads_or_refuses(directory: Path) -> None:
    try:
        catalog = load_catalog(directory)
    except CatalogError as exc:
        assert exc.problems
        return
    assert Engine(catalog).answer("what was the trade volume in 2016?").text


def test_one_input(data: bytes) -> None:
    if data[:1] == b"M":
        change = mutation(data)
        path = _MUTANT / change.file
        path.write_text(BUNDLED.mutate(change), encoding="utf-8")
        try:
            loads_or_refuses(_MUTANT)
        finally:
            path.write_text(BUNDLED.texts[change.file], encoding="utf-8")
        return
    directory = WORK / "kb"
    if directory.exists():
        shutil.rmtree(directory)
    shutil.copytree(FIXTURE, directory)
    # Half the time the input replaces the intents, half the time the lexicon.
    target = "lexicon.yaml" if data[:1] == b"L" else "kb.yaml"
    (directory / target).write_bytes(data[1:])
    loads_or_refuses(directory)


def main() -> None:
    import atheris

    atheris.instrument_all()
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
