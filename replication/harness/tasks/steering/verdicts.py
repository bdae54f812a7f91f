"""Steering, step 7: the degenerate-tie guard, applied to the shared comparison's blocks.

Two generation sets that are the same text (or a paired difference with standard error 0)
give delta 0 and se 0, which the shared rule reads as "equivalent". For steering that is no
evidence of equal steering, only of no change: such a cell's verdict becomes **no effect**,
and a summary (regime, concept, overall) that would be "equivalent" while resting on such a
cell becomes "inconclusive", with the cells named. Kept here, at the task level, so the shared
rule (:mod:`replication.harness.compare`, :mod:`replication.harness.stats`) stays untouched.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from replication.harness.context import TaskOutput

NO_EFFECT = "no effect"


def same_outputs(texts: dict[str, list[list[str]]], sae_methods: list[str]) -> list[str]:
    """The methods whose test generations (every seed) are word for word the first SAE
    method's."""
    ref = texts.get(sae_methods[0])
    return sorted(n for n, t in texts.items() if n != sae_methods[0] and t == ref)


def degenerate(block: dict[str, Any], other: str, identical: Iterable[str]) -> bool:
    se = block.get("se")
    return other in set(identical) or (se is not None and float(se) == 0.0)


def _mark(block: dict[str, Any], other: str, identical: Iterable[str]) -> bool:
    if block.get("verdict") != "equivalent" or not degenerate(block, other, identical):
        return False
    block["verdict"] = NO_EFFECT
    block["no_effect"] = (
        f"no change against {other}: identical outputs or a standard error of 0, which is "
        "not evidence of equivalence"
    )
    return True


def _downgrade(block: dict[str, Any], cells: list[str]) -> None:
    if cells and block.get("verdict") == "equivalent":
        block["verdict"] = "inconclusive"
        block["no_effect_cells"] = cells


def mark_no_effect(comparison: dict[str, Any], output: TaskOutput) -> dict[str, Any]:
    """Apply the guard to every cell, then to the summaries that rest on a marked cell."""
    identical = output.notes.get("identical_outputs", {})
    marked: dict[str, list[str]] = {}  # regime -> marked cells
    for concept, entry in comparison.get("datasets", {}).items():
        for regime, cell in entry.get("regimes", {}).items():
            same = identical.get(f"{regime}/{concept}", [])
            block = cell["comparison"]
            hit = _mark(block, str(block.get("best_baseline")), same)
            for control, cblock in cell.get("controls", {}).items():
                _mark(cblock, control, same)
            if hit:
                marked.setdefault(regime, []).append(f"{regime}/{concept}")
        cells = [c for cs in marked.values() for c in cs if c.endswith(f"/{concept}")]
        if "overall" in entry:
            _downgrade(entry["overall"], cells)
            entry["verdict"] = entry["overall"]["verdict"]
    for regime, block in comparison.get("regimes", {}).items():
        _downgrade(block, marked.get(regime, []))
    every = [c for cs in marked.values() for c in cs]
    if "overall" in comparison:
        _downgrade(comparison["overall"], every)
    if every and comparison.get("verdict") == "equivalent":
        comparison["verdict"] = "inconclusive"
    return comparison
