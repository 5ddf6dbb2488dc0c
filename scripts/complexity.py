"""Cyclomatic complexity of Loa's own code (radon): the top 15 functions and how many exceed 25.

    .venv/bin/python scripts/complexity.py [--top 15] [--limit 25]

The design card allows no function above 25; tests/test_complexity.py enforces it.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

from radon.complexity import cc_visit
from radon.visitors import Class, Function

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("loa", "pipeline", "broadcast", "web")
LIMIT = 25


def _walk(blocks: list[Function | Class], prefix: str) -> Iterator[tuple[str, int]]:
    for b in blocks:
        name = f"{prefix}.{b.name}" if prefix else b.name
        if isinstance(b, Class):
            yield from _walk(b.methods, name)
        elif not prefix and b.is_method:
            continue  # radon lists methods at the top too; they come with their class
        else:
            yield name, b.complexity
            yield from _walk(b.closures, name)


def functions(root: Path = ROOT) -> dict[str, int]:
    """Every function and method of the packages, as ``module:Qual.name`` -> complexity."""
    out: dict[str, int] = {}
    for pkg in PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            module = ".".join(path.relative_to(root).with_suffix("").parts)
            for name, cc in _walk(cc_visit(path.read_text(encoding="utf-8")), ""):
                out[f"{module}:{name}"] = max(cc, out.get(f"{module}:{name}", 0))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--limit", type=int, default=LIMIT)
    args = parser.parse_args()
    found = functions()
    ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))
    for name, cc in ranked[: args.top]:
        print(f"{cc:4d}  {name}")
    over = [name for name, cc in ranked if cc > args.limit]
    print(f"{len(found)} functions; {len(over)} over {args.limit}")


if __name__ == "__main__":
    main()
