"""A succeeded run as evidence for the market's criteria.

:func:`evidence_from_results` is pure: a results dict in, one :class:`EvidenceItem` per
criterion it bears on out. Adjudicators see these beside their assessment form
(``templates/replication/_evidence.html``); they inform the judgement and never change it.

Criterion keys (seed market): fair_fight_baselines, must_beat_not_competitive, sample_size,
sae_essential, not_cherry_picked, compute_budget_amortisation.

Stance says which way an item points for the candidacy meeting the criterion:
``supports``, ``undermines``, ``mixed`` or ``context`` (describes, takes no side).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from replication import results as R

FAIR_FIGHT = "fair_fight_baselines"
MUST_BEAT = "must_beat_not_competitive"
SAMPLE_SIZE = "sample_size"
SAE_ESSENTIAL = "sae_essential"
NOT_CHERRY_PICKED = "not_cherry_picked"
COMPUTE_BUDGET = "compute_budget_amortisation"
CRITERIA = (FAIR_FIGHT, MUST_BEAT, SAMPLE_SIZE, SAE_ESSENTIAL, NOT_CHERRY_PICKED, COMPUTE_BUDGET)

#: Share of SAE training compute charged to the SAE method (the seed market's criterion).
DEFAULT_COMPUTE_FRACTION = 0.1
#: The protocol's minimum seeds (REPLICATION.md): fewer is allowed but flagged.
MIN_SPLIT_SEEDS = 10
MIN_SAE_SEEDS = 3

SUPPORTS, UNDERMINES, MIXED, CONTEXT = "supports", "undermines", "mixed", "context"


@dataclass(frozen=True)
class EvidenceItem:
    criterion: str
    stance: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


def _ci(row: Mapping[str, Any]) -> str:
    if row.get("delta") is None:
        return "no estimate"
    text = f"{row['delta']:+.3f}"
    if row.get("ci_low") is not None and row.get("ci_high") is not None:
        text += f" (95% CI {row['ci_low']:+.3f} to {row['ci_high']:+.3f})"
    return text


def _flops(value: float) -> str:
    return f"{value:.3g}"


def evidence_from_results(results: Mapping[str, Any], *,
                          compute_fraction: float = DEFAULT_COMPUTE_FRACTION) -> list[EvidenceItem]:
    """One item per criterion the run bears on, in the order of :data:`CRITERIA`."""
    return [
        _fair_fight(results),
        _must_beat(results),
        _sample_size(results),
        _sae_essential(results),
        _not_cherry_picked(results),
        _compute_budget(results, compute_fraction),
    ]


def _fair_fight(results: Mapping[str, Any]) -> EvidenceItem:
    baselines = list((results.get("methods") or {}).get("baselines") or [])
    protocol = (results.get("spec") or {}).get("protocol") or {}
    budget = protocol.get("tuning_budget")
    best = R.best_baseline(results)
    summary = (
        f"Compared with {len(baselines)} baseline(s) ({', '.join(baselines) or 'none'}) on the "
        f"same splits and seeds, each tuned with the same budget"
        f"{f' of {budget} settings' if budget else ''} on validation data only; "
        f"the strongest baseline was {best or 'not recorded'}."
    )
    stance = CONTEXT if len(baselines) >= 2 else MIXED
    if len(baselines) < 2:
        summary += " Fewer than two baselines: a thin fight."
    return EvidenceItem(FAIR_FIGHT, stance, summary,
                        {"baselines": baselines, "tuning_budget": budget, "best_baseline": best})


def _must_beat(results: Mapping[str, Any]) -> EvidenceItem:
    row = R.overall(results)
    verdict = row["verdict"]
    margin = results.get("margin")
    stance = {"beats": SUPPORTS, "equivalent": UNDERMINES, "loses": UNDERMINES}.get(verdict, MIXED)
    words = {
        "beats": "beats the best baseline by more than the margin",
        "equivalent": "matches the best baseline within the margin but does not beat it",
        "loses": "loses to the best baseline",
        "inconclusive": "is not shown to beat or lose to the best baseline at this sample size",
        # The quality gate refused the SAE: the run says nothing about the paper's SAE.
        "invalid": f"has no verdict ({row.get('verdict_reason') or 'the SAE was under-trained'})",
    }.get(verdict, f"has verdict {verdict or 'unknown'}")
    high = row.get("ci_high")
    if verdict == "inconclusive" and high is not None and high <= (margin or 0.0):
        # The interval rules out a win by more than the margin: it does not beat.
        stance = UNDERMINES
        words = "does not beat the best baseline: the whole interval lies below the margin"
    margin_text = f", margin {margin}" if margin is not None else ""
    p_text = f", p {row['p']:.3g}" if row.get("p") is not None else ""
    summary = f"The SAE method {words}: SAE - best baseline {_ci(row)}{margin_text}{p_text}."
    return EvidenceItem(MUST_BEAT, stance, summary, {**row, "margin": margin})


def _sample_size(results: Mapping[str, Any]) -> EvidenceItem:
    seeds = R.seeds(results)
    rows = R.test_rows(results)
    split_seeds, sae_seeds = seeds.get("split_seeds"), seeds.get("sae_seeds")
    few = bool(seeds.get("fewer_than_protocol_minimum")) or (
        isinstance(split_seeds, int) and split_seeds < MIN_SPLIT_SEEDS
    ) or (isinstance(sae_seeds, int) and sae_seeds < MIN_SAE_SEEDS)
    n_datasets = len(R.dataset_rows(results))
    verdict = R.overall(results)["verdict"]
    summary = (f"{split_seeds} split seed(s) and {sae_seeds} SAE seed(s) over {n_datasets} "
               f"dataset(s), {min(rows) if rows else '?'}-{max(rows) if rows else '?'} test rows "
               "per seed; intervals count the test rows the seeds share.")
    if few:
        stance = MIXED
        summary += (f" Fewer seeds than the protocol's minimum ({MIN_SPLIT_SEEDS} split, "
                    f"{MIN_SAE_SEEDS} SAE).")
    elif verdict == "inconclusive":
        stance = MIXED
        summary += " The intervals are too wide to tell the methods apart."
    else:
        stance = SUPPORTS
        summary += " Enough to separate the methods beyond the margin."
    return EvidenceItem(SAMPLE_SIZE, stance, summary,
                        {"seeds": seeds, "test_rows_min": min(rows) if rows else None,
                         "test_rows_max": max(rows) if rows else None,
                         "n_datasets": n_datasets, "fewer_than_minimum": few})


def _sae_essential(results: Mapping[str, Any]) -> EvidenceItem:
    controls = R.controls(results)
    essential = R.sae_essential(results)
    if not controls:
        return EvidenceItem(SAE_ESSENTIAL, CONTEXT, "The run had no controls.", {})
    parts = [f"{c['control'].replace('_', ' ')}: SAE - control {_ci(c)} ({c['verdict'] or '?'})"
             for c in controls]
    if essential:
        stance, lead = SUPPORTS, "The SAE beats both controls (same pipeline without the SAE)"
    elif any(c["verdict"] in ("equivalent", "loses") for c in controls):
        stance, lead = UNDERMINES, "The pipeline works as well without the SAE"
    else:
        stance, lead = MIXED, "The controls cannot tell whether the SAE matters"
    return EvidenceItem(SAE_ESSENTIAL, stance, f"{lead}: {'; '.join(parts)}.",
                        {"controls": controls, "sae_essential": essential})


def _not_cherry_picked(results: Mapping[str, Any]) -> EvidenceItem:
    wtl = R.win_tie_loss(results)
    n = wtl.get("n") or 0
    won = float(wtl.get("won") or 0.0)
    summary = (f"The SAE method won on {won:.0%} of {n} dataset(s), tied on "
               f"{float(wtl.get('tied') or 0):.0%}, lost on {float(wtl.get('lost') or 0):.0%} "
               f"and was inconclusive on {float(wtl.get('inconclusive') or 0):.0%}.")
    if n <= 1:
        stance = CONTEXT
        summary += " One dataset says nothing about breadth."
    elif won >= 0.75:
        stance = SUPPORTS
    elif won < 0.25:
        stance = UNDERMINES
    else:
        stance = MIXED
    return EvidenceItem(NOT_CHERRY_PICKED, stance, summary, {**wtl})


def _compute_budget(results: Mapping[str, Any], fraction: float) -> EvidenceItem:
    compute = R.compute(results)
    training = compute["sae_training_flops"]
    method = R.sae_method(results)
    best = R.best_baseline(results)
    sae_cost = compute["methods"].get(method, 0.0)
    base_cost = compute["methods"].get(best, 0.0)
    charged = fraction * training
    total = sae_cost + charged
    details = {"fraction": fraction, "sae_training_flops": training, "charged_flops": charged,
               "sae_method_flops": sae_cost, "sae_total_flops": total,
               "best_baseline": best, "best_baseline_flops": base_cost,
               "wall_seconds": compute["wall_seconds"]}
    if not base_cost:
        return EvidenceItem(COMPUTE_BUDGET, CONTEXT,
                            f"SAE training took {_flops(training)} FLOPs; {fraction:.0%} of it "
                            f"({_flops(charged)}) counts against a compute budget.", details)
    ratio = total / base_cost
    details["ratio"] = ratio
    summary = (f"Charging {fraction:.0%} of the SAE's training compute ({_flops(charged)} of "
               f"{_flops(training)} FLOPs) gives the SAE method {_flops(total)} FLOPs against "
               f"{_flops(base_cost)} for the best baseline ({best}): {ratio:.2g}x.")
    stance = SUPPORTS if ratio <= 1.0 else MIXED
    if ratio > 1.0:
        summary += " Under a matched compute budget the baseline could spend more."
    return EvidenceItem(COMPUTE_BUDGET, stance, summary, details)


# --- from the database ----------------------------------------------------------------------


@dataclass(frozen=True)
class RunEvidence:
    """One succeeded run of a spec linked to the candidacy, with its evidence items."""

    run_id: int
    spec_key: str
    spec_version: int
    spec_hash: str
    verdict: str
    finished_at: Any
    url: str
    results_url: str
    items: list[EvidenceItem]

    def for_criterion(self, key: str) -> list[EvidenceItem]:
        return [item for item in self.items if item.criterion == key]


def _compute_fraction(candidacy: Any) -> float:
    from tracker.models import Criterion

    criterion = Criterion.objects.filter(market_id=candidacy.market_id, key=COMPUTE_BUDGET).first()
    if criterion is None:
        return DEFAULT_COMPUTE_FRACTION
    value = (criterion.parameters or {}).get("sae_training_compute_fraction_charged")
    try:
        return float(value) if value is not None else DEFAULT_COMPUTE_FRACTION
    except (TypeError, ValueError):
        return DEFAULT_COMPUTE_FRACTION


def evidence_for_candidacy(candidacy_id: int) -> list[RunEvidence]:
    """Every succeeded run of a spec linked to the candidacy, newest first, as evidence."""
    from django.urls import reverse

    from replication.models import ReplicationResult
    from tracker.models import Candidacy

    candidacy = Candidacy.objects.filter(pk=candidacy_id).first()
    if candidacy is None:
        return []
    fraction = _compute_fraction(candidacy)
    found = (
        ReplicationResult.objects.filter(run__spec__candidacy_id=candidacy_id,
                                         run__status="succeeded")
        .select_related("run__spec").order_by("-run__finished_at", "-pk")
    )
    return [
        RunEvidence(
            run_id=result.run_id, spec_key=result.run.spec.key,
            spec_version=result.run.spec.version, spec_hash=result.spec_hash,
            verdict=result.verdict, finished_at=result.run.finished_at,
            url=reverse("replication:run", args=[result.run_id]),
            results_url=reverse("replication:results-json", args=[result.run_id]),
            items=evidence_from_results(result.results, compute_fraction=fraction),
        )
        for result in found
    ]


def evidence_for_criterion(candidacy_id: int, criterion_key: str) -> list[tuple[RunEvidence,
                                                                               EvidenceItem]]:
    """(run, item) pairs bearing on one criterion of the candidacy: for an assessment form."""
    return [(run, item) for run in evidence_for_candidacy(candidacy_id)
            for item in run.for_criterion(criterion_key)]
