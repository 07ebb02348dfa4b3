"""Shared fixtures: one engine for the whole run (loading costs ~0.1 s)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from bot import Engine

sys.path.insert(0, str(Path(__file__).parent / "support"))

from servers import redis_server

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

# CI replays a fixed set of examples (a run that lands must be reproducible);
# elsewhere every run explores new ones. HYPOTHESIS_PROFILE=explore overrides.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", print_blob=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "explore")
)


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.load()


FIXTURE_KB = Path(__file__).parent / "fixtures" / "kb"


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """A private copy of the small fixture knowledge base, free to edit."""
    target = tmp_path / "kb"
    shutil.copytree(FIXTURE_KB, target)
    return target


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on a free 127.0.0.1 port, for the whole run; stopped by its PID."""
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server.url
