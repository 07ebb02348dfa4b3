"""Where the bundled data lives: inside the wheel, or beside the package in the repository."""

from __future__ import annotations

from pathlib import Path

__all__ = ["bundled"]


def bundled(name: str) -> Path:
    """The bundled ``intents/`` or ``locales/`` directory."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data" / name, here.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the bundled {name}/ directory is missing")
