"""Reading the knowledge-base folder: only regular files inside it, each under its cap.

A FIFO, a device or a socket named like a knowledge-base file is refused
without being opened (opening a FIFO blocks; reading /dev/zero never ends),
so these tests run ``check`` in a subprocess with a timeout: a hang fails the
test instead of hanging the run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot import CatalogError, Engine
from bot.kb import read_folder
from bot.kb.catalog import load_catalog
from bot.kb.files import MAX_FILES, MAX_SOURCE_BYTES, MAX_TOTAL_BYTES, MAX_YAML_BYTES

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


def problems(directory: Path) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        load_catalog(directory)
    return [str(p) for p in caught.value.problems]


def check(directory: Path) -> subprocess.CompletedProcess[str]:
    """``python -m bot check`` on ``directory``; a hang fails the test after a minute."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "--intents", str(directory), "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )


@needs_fifo
@pytest.mark.parametrize("name", ["zz.yaml", "source.txt", "lexicon.yaml"])
def test_a_fifo_is_refused_without_being_opened(kb: Path, name: str) -> None:
    (kb / name).unlink(missing_ok=True)
    os.mkfifo(kb / name)
    result = check(kb)
    assert result.returncode == 1
    assert f"{name}: is a FIFO (named pipe), not a regular file" in result.stderr.splitlines()
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_a_link_to_a_device_is_refused(kb: Path) -> None:
    (kb / "zz.yaml").symlink_to("/dev/zero")
    result = check(kb)
    assert result.returncode == 1
    assert "zz.yaml: is a symbolic link to a file outside the knowledge-base folder" in (
        result.stderr
    )


def test_a_device_is_refused_even_inside_the_folder(tmp_path: Path) -> None:
    # read_file on its own, with the folder check off: the kind of file is checked too.
    from bot.kb.files import FileRefused, read_file

    with pytest.raises(FileRefused, match="is a character device, not a regular file"):
        read_file(Path("/dev/zero"), 100)
    with pytest.raises(FileRefused, match="is a folder, not a regular file"):
        read_file(tmp_path, 100)


def test_a_socket_is_refused(kb: Path) -> None:
    if not hasattr(socket, "AF_UNIX") or len(str(kb / "zz.yaml")) > 100:
        pytest.skip("no UNIX sockets here, or the path is too long for one")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(kb / "zz.yaml"))
        assert "zz.yaml: is a socket, not a regular file" in problems(kb)


def test_a_link_out_of_the_folder_is_refused(kb: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("values:\n  secret: {number: 1}\n", encoding="utf-8")
    (kb / "zz.yaml").symlink_to(outside)
    (kb / "source.txt").rename(tmp_path / "source.txt")
    (kb / "source.txt").symlink_to(Path("..") / "source.txt")
    found = problems(kb)
    assert "zz.yaml: is a symbolic link to a file outside the knowledge-base folder" in found
    assert "source.txt: is a symbolic link to a file outside the knowledge-base folder" in found


def test_a_link_inside_the_folder_is_followed(kb: Path) -> None:
    (kb / "shared").mkdir()
    (kb / "lexicon.yaml").rename(kb / "shared" / "lexicon.yaml")
    (kb / "lexicon.yaml").symlink_to(Path("shared") / "lexicon.yaml")
    assert len(load_catalog(kb).intents) == 4


def test_a_dangling_link_is_refused_and_a_hidden_one_ignored(kb: Path) -> None:
    (kb / ".#kb.yaml").symlink_to("nobody@host.1234")  # an editor's lock file
    assert len(load_catalog(kb).intents) == 4
    (kb / "zz.yaml").symlink_to("nowhere.yaml")
    assert problems(kb) == ["zz.yaml: is a symbolic link to nothing"]


@pytest.mark.parametrize(("name", "what"), [("lexicon.yaml", "lexicon"), ("source.txt", "source")])
def test_the_lexicon_and_the_source_are_required(kb: Path, name: str, what: str) -> None:
    (kb / name).unlink()
    (problem,) = problems(kb)
    assert problem.startswith(f"{name}: is missing: every knowledge base needs the {what}")
    result = check(kb)
    assert result.returncode == 1
    assert result.stderr.startswith(f"{name}: is missing")


def test_an_oversized_source_is_refused_before_it_is_read(kb: Path) -> None:
    with (kb / "source.txt").open("ab") as handle:
        handle.truncate(MAX_SOURCE_BYTES + 1)  # sparse: nothing is written
    assert problems(kb) == [f"source.txt: is larger than {MAX_SOURCE_BYTES:,} bytes"]


def test_an_oversized_yaml_file_is_refused_before_it_is_read(kb: Path) -> None:
    with (kb / "zz.yaml").open("wb") as handle:
        handle.truncate(10 * MAX_YAML_BYTES)
    assert problems(kb) == [f"zz.yaml: is larger than {MAX_YAML_BYTES:,} bytes"]


def test_all_files_together_are_capped(kb: Path) -> None:
    for index in range(MAX_TOTAL_BYTES // MAX_YAML_BYTES + 1):
        (kb / f"pad{index}.yaml").write_bytes(b"#" * (MAX_YAML_BYTES - 1) + b"\n")
    assert any(
        p.endswith(f"takes the knowledge base over {MAX_TOTAL_BYTES:,} bytes in all")
        for p in problems(kb)
    )
    assert sum(len(data) for data in read_folder(kb).files.values()) <= MAX_TOTAL_BYTES


def test_a_source_near_its_cap_is_read_once(kb: Path) -> None:
    text = (kb / "source.txt").read_text(encoding="utf-8")
    padding = "Filler sentence of the long report.\n" * ((MAX_SOURCE_BYTES - 10_000) // 40)
    (kb / "source.txt").write_text(padding + text, encoding="utf-8")
    catalog = load_catalog(kb)
    assert catalog.intent("trade.exports").source == ("with 625 million Dollars exports",)


def test_too_many_files_are_refused(kb: Path) -> None:
    for index in range(MAX_FILES):
        (kb / f"empty{index:03}.yaml").write_text("", encoding="utf-8")
    assert problems(kb) == [f"{kb}: more than {MAX_FILES} *.yaml files"]


def test_a_snapshot_is_what_gets_loaded(kb: Path) -> None:
    snapshot = read_folder(kb)
    (kb / "kb.yaml").write_text("intents: [\n", encoding="utf-8")  # broken after the reading
    engine = Engine.load(snapshot)
    assert engine.answer("what was the trade volume").intent == "trade.volume"
    assert engine.catalog.version == snapshot.version != read_folder(kb).version
