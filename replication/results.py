"""Reading a harness ``results.json`` for display: pure functions over the dict, no database.

Every accessor tolerates missing keys (a task may leave a block out), so a page never
fails on an unusual result; it shows what is there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any


def _num(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN -> None


def interval(block: Mapping[str, Any] | None) -> dict[str, Any]:
    """delta, ci_low, ci_high, p (Holm-adjusted where given) and verdict of a comparison."""
    block = block or {}
    return {
        "delta": _num(block.get("delta")),
        "ci_low": _num(block.get("ci_low")),
        "ci_high": _num(block.get("ci_high")),
        "p": _num(block.get("p_holm", block.get("p"))),
        "verdict": str(block.get("verdict", "")),
    }


def overall(results: Mapping[str, Any]) -> dict[str, Any]:
    block = dict(results.get("overall") or {})
    row = interval(block)
    row["verdict"] = str(results.get("verdict", row["verdict"]))
    # "invalid: SAE under-trained: held-out FVE ..." when the quality gate failed
    row["verdict_reason"] = str(results.get("verdict_reason") or "")
    row["n_datasets"] = block.get("n_datasets")
    row["test"] = block.get("test", "")
    row["sentence"] = verdict_sentence(results)
    return row


def _seeds_clause(results: Mapping[str, Any], n_seeds: Any) -> str:
    """How many split seeds the verdict used and why it stopped there."""
    design = results.get("design") or {}
    looks = results.get("looks") or []
    n = looks[-1].get("seeds") if looks else n_seeds
    if n is None:
        return ""
    stopped = design.get("stopped")
    if len(looks) > 1 or stopped == "no effect measurable":
        if stopped == "decided":
            why = "it stopped once decided"
        elif stopped == "no effect measurable":
            why = "it stopped: no effect is measurable, so more seeds would not decide"
        else:
            why = f"it stopped at the spec's limit of {design.get('max_split_seeds')}"
        look_s = "look" if len(looks) == 1 else "looks"
        return f"; {n} split seeds over {len(looks)} {look_s} ({why})"
    return f"; {n} split seeds (the spec's fixed number)"


def verdict_sentence(results: Mapping[str, Any]) -> str:
    """The verdict in words, built from the numbers: what was found, how sure, how many seeds
    and why it stopped."""
    verdict = str(results.get("verdict") or "")
    if verdict == "invalid":
        return f"no verdict: {results.get('verdict_reason') or 'the SAE failed the quality gate'}"
    block = results.get("overall") or {}
    delta, margin = _num(block.get("delta")), _num(block.get("margin"))
    if delta is None or margin is None:
        return ""
    n = block.get("n_comparisons") or block.get("family_size") or 1
    base = best_baseline(results) or "the strongest baseline"
    gap = f"{abs(delta):.3f} {'ahead of' if delta >= 0 else 'behind'} {base}"
    tail = _seeds_clause(results, block.get("n_seeds"))
    corrected = f"after correcting for {n} comparison{'s' if n != 1 else ''}"
    if verdict == "beats":
        return (
            f"the SAE method beats every baseline: {gap}, more than the margin of "
            f"{margin:.3f}, {corrected}{tail}"
        )
    if verdict == "loses":
        return (
            f"the SAE method loses: {gap}, more than the margin of {margin:.3f}, {corrected}{tail}"
        )
    if verdict == "equivalent":
        return (
            f"the SAE method matches every baseline within the margin of {margin:.3f} "
            f"({gap}), {corrected}{tail}"
        )
    if block.get("finding"):
        return f"not decided: {block['finding']}{tail}"
    alpha = _num((results.get("design") or {}).get("alpha"))
    if split := _no_single_baseline(block, margin, alpha):
        return f"not decided: {split}{tail}"
    return (
        f"not decided: the SAE is {gap}, but {corrected} the evidence is not strong "
        f"enough (margin {margin:.3f}){tail}{_to_decide(results, block)}"
    )


def _no_single_baseline(
    block: Mapping[str, Any], margin: float, alpha: float | None
) -> str:
    """Where the headline (each dataset's best baseline) is beyond the margin but the verdict
    is not: "loses" needs one baseline ahead by more than the margin, "beats" needs every
    baseline behind, each on its own evidence and after the correction for multiple
    comparisons. Names the baseline nearest to deciding and what it lacks."""
    low, high, delta = (_num(block.get(key)) for key in ("ci_low", "ci_high", "delta"))
    rows = {
        name: interval(row) for name, row in (block.get("against") or {}).items()
        if isinstance(row, Mapping)
    }
    rows = {name: row for name, row in rows.items()
            if None not in (row["delta"], row["ci_low"], row["ci_high"])}
    if low is None or high is None or delta is None or not rows:
        return ""
    if high < -margin:
        name, row = min(rows.items(), key=lambda item: item[1]["ci_high"])
        side, verdict, p = "behind", "loses", _num(block.get("p_loses_holm"))
        shown = (-row["delta"], -row["ci_high"], -row["ci_low"])
        beyond = row["ci_high"] < -margin
        lacks = "needs one baseline ahead by more than the margin on its own, and none is"
        nearest = f"the nearest, {name}, is {shown[0]:.3f} ahead"
    elif low > margin:
        name, row = min(rows.items(), key=lambda item: item[1]["ci_low"])
        side, verdict, p = "ahead of", "beats", _num(block.get("p_beats_holm"))
        shown = (row["delta"], row["ci_low"], row["ci_high"])
        beyond = row["ci_low"] > margin
        lacks = "needs every baseline behind by more than the margin, and one is not"
        nearest = f"{name}: the SAE is {shown[0]:.3f} ahead"
    else:
        return ""
    where = f"{shown[1]:.3f} to {shown[2]:.3f}"
    if beyond and p is not None:
        return (
            f"the SAE is {abs(delta):.3f} {side} {name} (95% interval {where}), beyond the "
            f"margin of {margin:.3f}, but \"{verdict}\" also needs the one-sided test past the "
            f"margin to hold after the correction for multiple comparisons: p = {p:.3f}"
            + (f", not below {alpha:g}" if alpha is not None else "")
        )
    return (
        f"the SAE is {abs(delta):.3f} {side} the best baseline of each dataset, more than the "
        f"margin of {margin:.3f}, but \"{verdict}\" {lacks}: {nearest} (95% interval {where})"
    )


def _to_decide(results: Mapping[str, Any], block: Mapping[str, Any]) -> str:
    """What would decide an inconclusive result: more seeds within the spec's limit, or,
    where the seeds share their test rows and the limit cannot do it, more test rows."""
    resolve = block.get("to_resolve") or {}
    needed, have = resolve.get("seeds_needed"), block.get("n_seeds")
    limit = (results.get("design") or {}).get("max_split_seeds")
    if not (needed and have and needed > have):
        return ""
    if not limit or needed <= limit:
        return f"; about {needed - have} more seeds would decide"
    factor = resolve.get("test_rows_factor")
    rows = (
        f"; more seeds cannot shrink the part of the uncertainty from the test rows they "
        f"share: about {factor:.1f} times as many test rows (a larger dataset) would decide"
        if factor and factor > 1
        else ""
    )
    return f"; about {needed} seeds would decide, beyond the spec's limit of {limit}{rows}"


def dataset_rows(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per dataset: its overall delta (SAE method - best baseline) with its interval,
    the verdict, the best baseline, and the per-regime rows."""
    rows = []
    for name, block in (results.get("datasets") or {}).items():
        regimes = []
        baselines: Counter[str] = Counter()
        for regime, rblock in (block.get("regimes") or {}).items():
            comparison = rblock.get("comparison") or {}
            if comparison.get("best_baseline"):
                baselines[comparison["best_baseline"]] += 1
            regimes.append(
                {
                    "regime": regime,
                    "n_seeds": rblock.get("n_seeds"),
                    "best_baseline": comparison.get("best_baseline", ""),
                    **interval(comparison),
                }
            )
        row = interval(block.get("overall") or (regimes[0] if len(regimes) == 1 else {}))
        row["verdict"] = str(block.get("verdict", row["verdict"]))
        rows.append(
            {
                "dataset": name,
                **row,
                "regimes": regimes,
                "best_baseline": baselines.most_common(1)[0][0] if baselines else "",
            }
        )
    return rows


def best_baseline(results: Mapping[str, Any]) -> str:
    """The baseline most often chosen (on validation) as the strongest."""
    counts = Counter(r["best_baseline"] for r in dataset_rows(results) if r["best_baseline"])
    return counts.most_common(1)[0][0] if counts else ""


def sae_method(results: Mapping[str, Any]) -> str:
    methods = (results.get("methods") or {}).get("sae") or []
    return methods[0] if methods else ""


def seeds(results: Mapping[str, Any]) -> dict[str, Any]:
    provenance = results.get("provenance") or {}
    found = dict(provenance.get("seeds") or {})
    protocol = (results.get("spec") or {}).get("protocol") or {}
    found.setdefault("split_seeds", protocol.get("split_seeds"))
    found.setdefault("sae_seeds", protocol.get("sae_seeds"))
    found.setdefault("base", protocol.get("seed"))
    return found


def test_rows(results: Mapping[str, Any]) -> list[int]:
    """Test rows per (dataset, regime, seed), as the harness recorded them."""
    rows: list[int] = []
    for block in (results.get("datasets") or {}).values():
        for rblock in (block.get("regimes") or {}).values():
            rows.extend(int(n) for n in rblock.get("test_rows") or [])
    return rows


def controls(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    block = results.get("controls") or {}
    return [
        {"control": name, **interval(value)}
        for name, value in block.items()
        if isinstance(value, Mapping)
    ]


def sae_essential(results: Mapping[str, Any]) -> bool | None:
    value = (results.get("controls") or {}).get("sae_essential")
    return bool(value) if value is not None else None


def win_tie_loss(results: Mapping[str, Any]) -> dict[str, Any]:
    """Shares of datasets won / tied / lost / undecided; ``counts`` are whole datasets that
    add up to ``n`` (the undecided ones are the rest, so the four always sum to the total)."""
    block = dict(results.get("win_tie_loss") or {})
    out = {key: block.get(key) for key in ("n", "won", "tied", "lost", "inconclusive")}
    n = int(block.get("n") or 0)
    decided = {k: round((_num(block.get(k)) or 0.0) * n) for k in ("won", "tied", "lost")}
    out["counts"] = {**decided, "undecided": n - sum(decided.values())}
    return out


def compute(results: Mapping[str, Any]) -> dict[str, Any]:
    block = results.get("compute") or {}
    return {
        "wall_seconds": _num(block.get("wall_seconds")),
        "sae_training_flops": _num(block.get("sae_training_flops")) or 0.0,
        "methods": {k: _num(v) or 0.0 for k, v in (block.get("methods") or {}).items()},
    }


def scope(results: Mapping[str, Any]) -> dict[str, str]:
    """What the run tests and does not test (empty strings for results written before)."""
    block = results.get("scope") or {}
    return {key: str(block.get(key) or "") for key in ("tests", "does_not_test")}


def sae_quality(results: Mapping[str, Any]) -> dict[str, Any]:
    """The SAE's held-out FVE, L0 and dead fraction, and whether it passed the quality gate."""
    sae = results.get("sae") or {}
    held_out = sae.get("held_out") or {}
    gate = sae.get("quality_gate") or {}
    return {
        "fve": _num(held_out.get("fve")),
        "l0": _num(held_out.get("l0")),
        "dead_fraction": _num(held_out.get("dead_fraction")),
        "passed": gate.get("passed"),
        "failures": list(gate.get("failures") or []),
    }
