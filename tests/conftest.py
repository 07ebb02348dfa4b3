"""Shared fixtures: one engine for the whole run (loading costs ~0.1 s)."""

from __future__ import annotations

import os

import pytest

from bot import Engine

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.load()
