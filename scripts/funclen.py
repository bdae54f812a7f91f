"""Function lengths per package: lines, files, functions over a limit, the longest.

Deterministic (files sorted, ties broken by name), standard library only, so it runs before
`make setup`. A function's length is its span in lines, decorators and docstring included
(``end_lineno - first line + 1``); a nested function counts inside its parent and on its own.

    python scripts/funclen.py                 # the app packages, limit 60, top 3 each
    python scripts/funclen.py --limit 60 --top 10 tracker evaluations
"""

from __future__ import annotations

import argparse
import ast
from dataclasses import dataclass
from pathlib import Path

APPS = ("tracker", "evaluations", "replication")


@dataclass(frozen=True)
class Func:
    path: str
    name: str
    lines: int


def _functions(path: Path) -> list[Func]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Func] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                name = f"{prefix}{child.name}"
                found.append(Func(str(path), name, (child.end_lineno or first) - first + 1))
                visit(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def _package(path: Path) -> str:
    """The package a file counts under: its directory (``replication/harness/tasks``)."""
    return str(path.parent)


def _sources(roots: list[str]) -> list[Path]:
    files = (p for root in roots for p in Path(root).rglob("*.py"))
    return sorted(p for p in files if "migrations" not in p.parts)


def report(roots: list[str], limit: int, top: int) -> str:
    per_package: dict[str, tuple[int, int, list[Func]]] = {}
    for path in _sources(roots):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        files, total, funcs = per_package.get(_package(path), (0, 0, []))
        per_package[_package(path)] = (files + 1, total + lines, funcs + _functions(path))
    head = f"{'package':<34} {'files':>5} {'lines':>6} {'funcs':>5} {'>' + str(limit):>5}  longest"
    out = [head, "-" * len(head)]
    all_funcs: list[Func] = []
    for package in sorted(per_package):
        files, total, funcs = per_package[package]
        all_funcs += funcs
        longest = sorted(funcs, key=lambda f: (-f.lines, f.path, f.name))[:top]
        over = sum(f.lines > limit for f in funcs)
        names = ", ".join(f"{f.name} {f.lines}" for f in longest)
        out.append(f"{package:<34} {files:>5} {total:>6} {len(funcs):>5} {over:>5}  {names}")
    over_all = sorted((f for f in all_funcs if f.lines > limit),
                      key=lambda f: (-f.lines, f.path, f.name))
    out += ["", f"functions over {limit} lines: {len(over_all)} of {len(all_funcs)}"]
    out += [f"  {f.lines:>4}  {f.path}:{f.name}" for f in over_all]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="*", default=list(APPS))
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("--top", type=int, default=3)
    args = parser.parse_args()
    print(report(args.roots, args.limit, args.top))


if __name__ == "__main__":
    main()
