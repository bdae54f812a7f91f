"""Simulated fair fights for calibrating the verdict rule (used by the calibration tests and
by benchmarks/verdict_calibration.py).

A simulated run keeps the harness's real structure: one dataset of labelled rows, the
harness's own splits (:func:`replication.harness.splits.make_split`) for each split seed,
test rows that recur across seeds, and both methods scored on the same test rows. Only the
scores are simulated, from a model with the three sources of noise a real run has:

    score[m, seed, row] = y * (mu[m] + train[m, seed]) + hard[row] + own[m, row] + noise

``hard`` is shared by both methods (some rows are hard for everyone), ``own`` belongs to one
method and recurs in every seed (the dependence between seeds that share rows), ``train``
is each seed's training luck, ``noise`` the rest. ``mu`` is set from the target AUROC, so a
true difference of d is d in population AUROC.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtri

from replication.harness import stats
from replication.harness.spec import VERDICTS, ProtocolSpec
from replication.harness.splits import make_split

#: Noise scales (in units of the row-to-row spread); chosen so that per-seed AUROCs move by
#: about 0.01-0.03 between seeds, as the recorded runs do at 128 test rows.
HARD, OWN, TRAIN, NOISE = 1.0, 0.6, 0.15, 0.4


@dataclass(frozen=True)
class Design:
    """A dataset's rows and the harness's splits of them (test row ids per seed)."""

    labels: np.ndarray
    tests: list[np.ndarray]

    @classmethod
    def of(
        cls,
        n_rows: int = 400,
        seeds: int = 10,
        regime: str = "normal",
        base_seed: int = 0,
        **protocol: int,
    ) -> Design:
        proto = ProtocolSpec(
            split_seeds=seeds,
            **{"train_size": 192, "val_size": 64, "test_size": 128, **protocol},
        )
        y = (np.arange(n_rows) % 2).astype(np.int64)
        tests = [
            make_split(y, regime, proto, base_seed * 1_000_003 + 1000 * s).test
            for s in range(seeds)
        ]
        return cls(y, tests)


def mu_for(auc: float) -> float:
    """Separation giving population AUROC ``auc`` under the score model."""
    spread = math.sqrt(2 * (HARD**2 + OWN**2 + NOISE**2) + TRAIN**2)
    return float(spread * ndtri(auc))


def simulate(
    design: Design, auc_a: float, auc_b: float, rng: np.random.Generator
) -> list[stats.SeedOutcome]:
    """One run: a fresh draw of the dataset's rows, then every seed's scores."""
    y = design.labels
    n = len(y)
    hard = rng.normal(0, HARD, n)
    own = rng.normal(0, OWN, (2, n))
    mus = (mu_for(auc_a), mu_for(auc_b))
    seeds = []
    for test in design.tests:
        scores = []
        for m in (0, 1):
            train = rng.normal(0, TRAIN)
            noise = rng.normal(0, NOISE, len(test))
            scores.append(y[test] * (mus[m] + train) + hard[test] + own[m, test] + noise)
        seeds.append(stats.SeedOutcome(y[test], scores[0], scores[1], ids=test))
    return seeds


#: rule(per-dataset seed outcomes, alpha) -> per-dataset verdicts (one family)
Rule = Callable[[list[list[stats.SeedOutcome]], float, np.random.Generator], list[str]]


def new_rule(
    margin_kind: str = "relative_error",
    relative: float = 0.05,
    absolute: float = 0.01,
    n_boot: int = 300,
) -> Rule:
    """The harness's rule (rule 2) against one baseline per dataset, Holm over datasets."""

    def rule(
        family: list[list[stats.SeedOutcome]], alpha: float, rng: np.random.Generator
    ) -> list[str]:
        ests = []
        for seeds in family:
            margin = 0.0
            if relative or margin_kind != "relative_error":
                mean_a = float(np.mean([stats.auroc(s.labels, s.scores_a) for s in seeds]))
                mean_b = float(np.mean([stats.auroc(s.labels, s.scores_b) for s in seeds]))
                margin = stats.margin_for(
                    "auroc", mean_a, mean_b, kind=margin_kind, absolute=absolute, relative=relative
                )
            ests.append(
                stats.paired_estimate(seeds, "auroc", n_boot=n_boot, rng=rng, margin=margin)
            )
        ps = stats.correct([stats.family_ps({"b": e}, e) for e in ests])
        return [stats.decide({"b": e}, p, alpha) for e, p in zip(ests, ps, strict=True)]

    return rule


@dataclass
class Rates:
    runs: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VERDICTS, 0))

    def rate(self, verdict: str) -> float:
        return self.counts[verdict] / max(self.runs, 1)

    def se(self, verdict: str) -> float:
        p = self.rate(verdict)
        return math.sqrt(max(p * (1 - p), 1e-12) / max(self.runs, 1))


def verdict_rates(
    rule: Rule,
    design: Design,
    auc_a: float,
    auc_b: float,
    *,
    runs: int,
    datasets: int = 1,
    alpha: float = 0.05,
    seed: int = 0,
) -> Rates:
    """Share of per-dataset verdicts over ``runs`` simulated families of ``datasets``."""
    rng = np.random.default_rng(seed)
    rates = Rates()
    for _ in range(runs):
        family = [simulate(design, auc_a, auc_b, rng) for _ in range(datasets)]
        for v in rule(family, alpha, rng):
            rates.counts[v] += 1
            rates.runs += 1
    return rates
