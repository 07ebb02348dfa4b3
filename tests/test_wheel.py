"""The built wheel carries the knowledge base and the catalogs, and works outside the repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_works_outside_the_repository(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("kzbot-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "bot/py.typed" in names
    assert "bot/_data/intents/lexicon.yaml" in names
    assert "bot/_data/intents/source.txt" in names
    assert "bot/_data/locales/tr/LC_MESSAGES/messages.po" in names

    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = (
        "import bot, json; a = bot.Engine.load().answer('YDSK ne zaman kuruldu?');"
        "print(json.dumps([bot.__file__, a.intent, a.lang]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    location, intent, lang = json.loads(result.stdout)
    assert location.startswith(str(site))
    assert (intent, lang) == ("ydsk.established", "tr")
