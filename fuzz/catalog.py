"""Coverage-guided fuzz target (atheris): the knowledge-base loader on arbitrary files.

    python fuzz/catalog.py fuzz/corpus/catalog -max_total_time=60

The loader may accept a file or refuse it with CatalogError; anything else is a bug.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import CatalogError
from bot.kb.catalog import load_catalog

WORK = Path(tempfile.mkdtemp(prefix="kzbot-fuzz-"))
FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "kb"


def test_one_input(data: bytes) -> None:
    directory = WORK / "kb"
    if directory.exists():
        shutil.rmtree(directory)
    shutil.copytree(FIXTURE, directory)
    # Half the time the input replaces the intents, half the time the lexicon.
    target = "lexicon.yaml" if data[:1] == b"L" else "kb.yaml"
    (directory / target).write_bytes(data[1:])
    try:
        load_catalog(directory)
    except CatalogError as exc:
        assert exc.problems


def main() -> None:
    import atheris

    atheris.instrument_all()
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
