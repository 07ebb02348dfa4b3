"""The layout is the architecture: layers import downwards only, and nothing imports in a circle.

lang (text and languages) <- kb (the curators' files) <- match (rankers) <-
dialogue (engine, policy, sessions) <- serve (front ends) and tools <- cli.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "bot"

#: Each layer may import the layers before it, never one after it.
LAYERS = ["bot._paths", "bot._version", "bot.lang", "bot.kb", "bot.match", "bot.dialogue"]
#: The engine's layers: none of them may reach a front end or a tool.
ENGINE = ("bot.lang", "bot.kb", "bot.match", "bot.dialogue")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path, known: dict[str, Path]) -> set[str]:
    """Every bot module ``path`` imports, at any depth of the file (function-level included)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # "from bot.serve import render" imports the module bot.serve.render.
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
            ]
        else:
            continue
        found.update(t for t in targets if t in known and t != name)
    return found


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {name: _imports(path, known) for name, path in known.items()}


def test_no_import_cycles_anywhere_in_the_package() -> None:
    graph = _graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def _layer(module: str) -> int | None:
    for number, layer in enumerate(LAYERS):
        if module == layer or module.startswith(layer + "."):
            return number
    return None


def test_layers_import_downwards_only() -> None:
    wrong = []
    for module, targets in _graph().items():
        mine = _layer(module)
        if mine is None:
            continue
        for target in targets:
            theirs = _layer(target)
            if theirs is None or theirs > mine:
                wrong.append(f"{module} imports {target}")
    assert not wrong, wrong


def test_the_engine_never_reaches_a_front_end() -> None:
    graph = _graph()
    for module in (m for m in graph if m.startswith(ENGINE)):
        assert not {t for t in graph[module] if t.startswith(("bot.serve", "bot.tools", "bot.cli"))}


def test_only_the_telegram_front_end_imports_python_telegram_bot() -> None:
    users = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            if any(n == "telegram" or n.startswith("telegram.") for n in names):
                users.append(_module_name(path))
    assert users and all(u.startswith("bot.serve.telegram") for u in users), users


def test_importing_the_package_or_the_stores_needs_no_telegram() -> None:
    code = (
        "import sys, bot, bot.serve.stores, bot.serve.conversations, bot.serve.console; "
        "print('telegram' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "False"


def test_the_public_api_is_declared_once() -> None:
    import bot

    assert set(bot.__all__) >= {"Engine", "Session", "Answer", "Choice", "Catalog", "CatalogError"}
    for name in bot.__all__:
        assert hasattr(bot, name), name
    version = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in version and 'path = "bot/_version.py"' in version
