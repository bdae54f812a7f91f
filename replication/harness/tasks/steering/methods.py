"""Steering, step 2: each concept's directions and SAE latent, and the methods built on them.

A method turns per-row settings into one intervention (or, for prompting, a rewritten
instruction). Strength methods carry the span their strength is searched over; the others
(prompting, rejection sampling) a list of settings. *s* is a multiple of the mean residual
norm, *m* of the latent's largest activation on positive method-half texts, *c* the
coefficient of a directional ablation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from replication.harness import stats
from replication.harness.context import PreparedDataset, TaskContext
from replication.harness.spec import Spec
from replication.harness.steering import interventions as iv
from replication.harness.tuning import budgeted_grid, strength_span

#: Six templates a mode, so any budget up to six gets distinct prompts (equal budgets).
STEER_TEMPLATES = [
    "{instruction} In your answer, talk about {concept}.",
    "{instruction} Make your answer about {concept}.",
    "Bring {concept} into your answer. {instruction}",
    "{instruction} Mention {concept} in your answer.",
    "You love {concept}. {instruction}",
    "{instruction} Relate your answer to {concept}.",
]
SUPPRESS_TEMPLATES = [
    "{instruction} Do not mention {concept}.",
    "{instruction} Avoid any reference to {concept}.",
    "Without talking about {concept}: {instruction}",
    "{instruction} Leave out {concept} entirely.",
    "Never mention {concept}. {instruction}",
    "{instruction} Write about anything except {concept}.",
]


@dataclass
class Directions:
    diff_in_means: np.ndarray  # unit
    probe: np.ndarray  # unit
    probe_model: Any


def directions(ds: PreparedDataset, seed: int) -> Directions:
    from sklearn.linear_model import LogisticRegression

    toks = ds.meta["train_tokens"]
    n_pos = len(ds.meta["concept"].train_pos)
    pos = toks.acts[: toks.offsets[n_pos]]
    neg = toks.acts[toks.offsets[n_pos] :]
    r = pos.mean(0) - neg.mean(0)
    probe = LogisticRegression(C=1.0, max_iter=2000, random_state=seed).fit(ds.X, ds.y)
    w = probe.coef_[0].astype(np.float64)
    return Directions(
        diff_in_means=(r / max(np.linalg.norm(r), 1e-8)).astype(np.float32),
        probe=(w / max(np.linalg.norm(w), 1e-8)).astype(np.float32),
        probe_model=probe,
    )


@dataclass
class LatentChoice:
    latent: int
    max_activation: float
    mean_difference: float
    selectivity_auroc: float


def choose_latent(
    ctx: TaskContext, ds: PreparedDataset, sae_index: int, *, random: bool = False
) -> LatentChoice:
    """The latent with the largest token-level mean difference on method-half texts; its
    selectivity is measured on the judge half (per-text maximum activation, AUROC)."""
    cd = ds.meta["concept"]
    toks = ds.meta["train_tokens"]
    Z = ctx.latents(sae_index, toks.acts, random=random)
    split = toks.offsets[len(cd.train_pos)]
    diff = Z[:split].mean(0) - Z[split:].mean(0)
    latent = int(np.argmax(diff))
    per_text = [
        Z[toks.offsets[i] : toks.offsets[i + 1], latent].max() for i in range(len(cd.train_pos))
    ]
    judge = ds.meta["judge_tokens"]
    Zj = ctx.latents(sae_index, judge.acts, random=random)[:, latent]
    maxima = np.array(
        [Zj[judge.offsets[i] : judge.offsets[i + 1]].max() for i in range(len(judge.offsets) - 1)]
    )
    labels = np.concatenate([np.ones(len(cd.judge_pos)), np.zeros(len(cd.judge_neg))])
    return LatentChoice(
        latent=latent,
        max_activation=float(max(np.max(per_text), 1e-6)),
        mean_difference=float(diff[latent]),
        selectivity_auroc=stats.auroc(labels, maxima),
    )


@dataclass
class Method:
    """How a method turns settings (one per generated row) into an intervention or a prompt.

    Strength methods have ``axis`` (the config key) and ``span``: the strength is searched.
    The others have ``grid``: the settings tried, at most the tuning budget of them."""

    build: Callable[[list[dict[str, Any]]], Any]  # configs per row -> intervention or None
    template: Callable[[dict[str, Any], str], str] | None = None
    axis: str = ""
    span: tuple[float, float] | None = None
    grid: list[dict[str, Any]] = field(default_factory=list)

    def ask(self, config: dict[str, Any], instruction: str) -> str:
        return self.template(config, instruction) if self.template else instruction


UNSTEERED = Method(build=lambda cs: None, grid=[{}])


def build_methods(
    spec: Spec,
    *,
    suppress: bool,
    choice: LatentChoice,
    sae: Any,
    dirs: Directions,
    norm: float,
    description: str,
) -> dict[str, Method]:
    """Every method of one (mode, concept, SAE) but rejection sampling (see search.py)."""
    sign = -1.0 if suppress else 1.0
    dec = (sae.W_dec[choice.latent] / sae.scaling_factor).detach().cpu().numpy()
    dec = dec / max(float(np.linalg.norm(dec)), 1e-8)
    strengths = strength_span(list(spec.option("strengths")))

    def add(direction: np.ndarray) -> Method:
        def build(cs: list[dict[str, Any]]) -> Any:
            return iv.Add(direction, np.array([sign * c["s"] * norm for c in cs]))

        return Method(build, axis="s", span=strengths)

    def ablate(direction: np.ndarray) -> Method:
        def build(cs: list[dict[str, Any]]) -> Any:
            return iv.Ablate(direction, np.array([c["c"] for c in cs]))

        return Method(build, axis="c", span=strength_span(list(spec.option("ablation_strengths"))))

    def clamp(cs: list[dict[str, Any]]) -> Any:
        targets = np.array([sign * c["m"] * choice.max_activation for c in cs])
        return (iv.ConditionalClamp if suppress else iv.Clamp)(sae, choice.latent, targets)

    templates = SUPPRESS_TEMPLATES if suppress else STEER_TEMPLATES
    methods = {
        "sae_addition": add(dec),
        "sae_clamp": Method(
            clamp, axis="m", span=strength_span(list(spec.option("clamp_multiples")))
        ),
        "prompting": Method(
            lambda cs: None,
            lambda c, p: templates[c["template"]].format(instruction=p, concept=description),
            grid=budgeted_grid(
                {"template": list(range(len(templates)))},
                spec.protocol.tuning_budget,
                np.random.default_rng(spec.protocol.seed),
            ),
        ),
    }
    for name, direction in (("diff_in_means", dirs.diff_in_means), ("probe", dirs.probe)):
        methods[name] = ablate(direction) if suppress else add(direction)
    return methods
