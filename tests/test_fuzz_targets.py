"""Replay the fuzzing corpus (seeds and any crash atheris ever found) through both targets."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

FUZZ = Path(__file__).resolve().parent.parent / "fuzz"


def target(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"fuzz_{name}", FUZZ / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["answer", "catalog"])
def test_corpus_replays_cleanly(name: str) -> None:
    module = target(name)
    inputs = sorted((FUZZ / "corpus" / name).iterdir())
    assert inputs, "the corpus keeps at least its seeds"
    for path in inputs:
        module.test_one_input(path.read_bytes())


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xfe",
        b"L",
        b"K- [",
        b"L\x00",
        b"Kintents:\n  - id: \xc3\x28\n",
        b"/" * 5000,
        b"M",
        b"M\xff\xff\xff\xff\xff[",
        b"M\x03\x00\x00\x07\xff\xc3\x28: [",
    ],
)
def test_edge_inputs(data: bytes) -> None:
    target("answer").test_one_input(data)
    target("catalog").test_one_input(data)
