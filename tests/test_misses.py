"""Learning from the misses log: reading it, grouping, suggesting, exporting, applying."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.tools.misses import MissesError, read_misses


def _misses(*arguments: str) -> subprocess.CompletedProcess[str]:
    """``python -m bot misses ...`` as a curator runs it (no log named by the environment)."""
    env = {k: v for k, v in os.environ.items() if k != "KZBOT_MISSES_LOG"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.mark.parametrize("mode", [[]])
def test_a_missing_log_is_an_error_not_an_empty_one(tmp_path: Path, mode: list[str]) -> None:
    result = _misses("misses", str(tmp_path / "nope.jsonl"), *mode)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "nope.jsonl" in result.stderr and "No such file" in result.stderr


def test_a_directory_is_not_a_log(tmp_path: Path) -> None:
    with pytest.raises(MissesError, match="cannot read"):
        list(read_misses(tmp_path))
    result = _misses("misses", str(tmp_path))
    assert result.returncode == 2 and result.stderr.startswith("error: ")


@pytest.mark.parametrize("mode", [[]])
def test_an_empty_log_has_nothing_to_say(tmp_path: Path, mode: list[str]) -> None:
    log = tmp_path / "misses.jsonl"
    log.write_text("", encoding="utf-8")
    result = _misses("misses", str(log), *mode)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "no missed questions logged"
