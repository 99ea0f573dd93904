"""The package layout: arrows run app → bot → answer/safety → index → ingest.

A module may import from its own package, from a package below it, and from the shared
definitions at the top (`bot.config`, `bot.errors`, `bot.reply`); `bot.cli` starts the app
(`smabot app`) and so may import it. Anything else is a layering error.
"""

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"
RANK = {"ingest": 0, "index": 1, "answer": 2, "safety": 2, "top": 3, "app": 4}
SHARED = {"bot", "bot.config", "bot.errors", "bot.reply"}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) >= 2 and parts[1] in RANK else "top"


def _imports() -> dict[str, set[str]]:
    """module → the bot modules it imports (`from bot.x import y` counts bot.x.y if a module)."""
    graph = {}
    for path in sorted(BOT.rglob("*.py")):
        module = ".".join(path.relative_to(BOT.parent).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    is_module = (BOT.parent / (full.replace(".", "/") + ".py")).exists()
                    deps.add(full if is_module else node.module)
        graph[module] = deps
    return graph


def test_arrows_run_one_way():
    wrong = [
        (module, dep)
        for module, deps in _imports().items()
        for dep in deps - SHARED
        if _package(dep) != _package(module)
        and RANK[_package(dep)] >= RANK[_package(module)]
        and (module, _package(dep)) != ("bot.cli", "app")
    ]
    assert wrong == []


def test_no_import_cycle():
    graph = _imports()
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " → ".join((*path, module))
        if module in done:
            return
        for dep in graph.get(module, ()):
            visit(dep, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())


def test_top_level_stays_small():
    assert len(list(BOT.glob("*.py"))) <= 8
