"""Steering, step 1: every check before any generation, the concept splits, the prompts, and the
token activations the SAE trains on (cached).

Each concept's example texts are split once into a *method* half (latent choice, directions,
probe, rejection detector) and a *judge* half (the concept classifier; never seen by a method).
Each mode's prompts are shuffled once: the first ``n_validation`` choose settings, the rest
are the test prompts, the same for every seed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from replication.harness.context import PreparedDataset
from replication.harness.errors import DataError
from replication.harness.spec import Spec
from replication.harness.steering.concepts import (
    Concept,
    continuation_prompt,
    load_concept,
    neutral_prompts,
)
from replication.harness.steering.lm import LM, load_lm
from replication.harness.steering_options import SAE_METHODS

#: What relevance is scored against for a sae-probes concept's continuation prompt (its opening
#: words carry the concept, so the concept-neutral request is the bare task).
NEUTRAL_CONTINUATION = "Continue this text."


@dataclass(frozen=True)
class Prompt:
    """A prompt as asked, and the same request without the concept (equal when steering)."""

    asked: str
    neutral: str


@dataclass
class ConceptData:
    concept: Concept
    train_pos: list[str]
    train_neg: list[str]
    judge_pos: list[str]
    judge_neg: list[str]
    prompts: dict[str, list[Prompt]] = field(default_factory=dict)


def load_model(spec: Spec, device: str) -> tuple[LM, int]:
    """The causal LM and the resolved layer (-1: the middle one)."""
    from replication.harness.activations import cache_dir

    lm = load_lm(spec.activations.model, device=device, cache=cache_dir(spec.cache_dir))
    return lm, lm.check_layer(spec.activations.layer)


def n_validation(spec: Spec, n_prompts: int) -> int:
    """How many of a mode's prompts choose settings (the rest are test prompts)."""
    chosen = int(spec.option("n_validation"))
    return chosen if chosen > 0 else n_prompts // 2


def _mode_prompts(spec: Spec, concept: Concept, mode: str, pos: list[str]) -> list[Prompt]:
    n = int(spec.option("n_prompts"))
    if mode == "steer":
        return [Prompt(p, p) for p in neutral_prompts(n)]
    if concept.elicit:  # a curated concept: eliciting prompts paired with neutral requests
        return [Prompt(a, b) for a, b in zip(concept.elicit, concept.neutral, strict=True)][:n]
    # openings of positives that no method and not the judge sees
    return [Prompt(continuation_prompt(t), NEUTRAL_CONTINUATION) for t in pos[:n]]


def split_concept(spec: Spec, concept: Concept, modes: list[str]) -> ConceptData:
    """Prompts per mode (shuffled once), then the method and judge halves of the examples."""
    minimum = int(spec.option("min_examples"))
    pos, neg = list(concept.positives), list(concept.negatives)
    prompts: dict[str, list[Prompt]] = {}
    for mode in modes:
        listed = _mode_prompts(spec, concept, mode, pos)
        if mode == "suppress" and not concept.elicit:
            pos = pos[len(listed) :]  # their openings are prompts now
        n_val = n_validation(spec, len(listed))
        if len(listed) < 2 or not 1 <= n_val < len(listed):
            raise DataError(
                f"concept {concept.name!r}: the {mode} prompt list has {len(listed)} prompt(s) "
                f"and {n_val} are for validation; at least one validation and one test prompt "
                "are needed (task_options.n_prompts, n_validation)"
            )
        order = np.random.default_rng(spec.protocol.seed).permutation(len(listed))
        prompts[mode] = [listed[i] for i in order]
    for label, texts in (("positive", pos), ("negative", neg)):
        if len(texts) < minimum:
            raise DataError(
                f"concept {concept.name!r} has {len(texts)} {label} example texts (after "
                f"setting prompts aside); at least task_options.min_examples = {minimum} needed"
            )
    rng = np.random.default_rng(spec.protocol.seed)
    pos = [pos[i] for i in rng.permutation(len(pos))]
    neg = [neg[i] for i in rng.permutation(len(neg))]
    hp, hn = len(pos) // 2, len(neg) // 2
    return ConceptData(concept, pos[:hp], neg[:hn], pos[hp:], neg[hn:], prompts)


def _pool_texts(spec: Spec) -> list[str]:
    from replication.harness.datasets import load_dataset
    from replication.harness.spec import DataSpec

    texts: list[str] = []
    n = int(spec.option("pool_texts"))
    for source in spec.option("pool_sources"):
        data = DataSpec(source=source, max_rows=n, min_rows=4)
        ds = load_dataset(data, source, binary=False, seed=spec.protocol.seed)
        texts.extend(ds.texts or [])
    return texts


def check_spec(spec: Spec) -> None:
    """Task-specific checks the generic validation cannot do (called before any generation)."""
    from replication.harness.tuning import strength_span

    if spec.data.source not in ("concepts", "sae_probes"):
        raise DataError(
            f"data.source for steering must be concepts or sae_probes; got {spec.data.source!r}"
        )
    modes = list(spec.option("modes"))
    for i, mode in enumerate(modes):
        if mode not in ("steer", "suppress"):
            raise DataError(f"task_options.modes[{i}] must be steer or suppress; got {mode!r}")
    if not modes:
        raise DataError("task_options.modes is empty: name steer and/or suppress")
    if int(spec.option("n_prompts")) < 2:
        raise DataError(
            f"the prompt list is empty or too short: task_options.n_prompts is "
            f"{spec.option('n_prompts')}; at least 2 are needed (validation and test)"
        )
    for i, name in enumerate(spec.option("sae_methods")):
        if name not in SAE_METHODS:
            raise DataError(
                f"task_options.sae_methods[{i}] must be one of "
                f"{', '.join(SAE_METHODS)}; got {name!r}"
            )
    if not spec.option("sae_methods"):
        raise DataError("task_options.sae_methods is empty")
    for key in ("strengths", "clamp_multiples", "ablation_strengths"):
        try:
            strength_span(list(spec.option(key)))
        except ValueError as exc:
            raise DataError(f"task_options.{key}: {exc}") from None
    if "rejection_sampling" in spec.baselines and float(spec.option("temperature")) <= 0:
        raise DataError("rejection_sampling needs sampling: task_options.temperature must be > 0")


def prepare(spec: Spec, *, device: str, progress: Any) -> tuple[list[PreparedDataset], float]:
    """Check the model, layer, concepts and prompts, then collect token activations (cached)."""
    check_spec(spec)
    modes = list(spec.option("modes"))
    progress(0.0, "loading the language model")
    lm, layer = load_model(spec, device)
    rows = int(spec.option("concept_rows"))
    data = [
        split_concept(spec, load_concept(spec.data.source, name, rows, spec.protocol.seed), modes)
        for name in spec.data.datasets
    ]
    pool_texts = _pool_texts(spec)
    started = time.perf_counter()
    prepared = []
    for i, cd in enumerate(data):
        progress(0.1 + 0.8 * i / len(data), f"token activations for {cd.concept.name}")
        prepared.append(_prepared(spec, lm, layer, cd))
    if pool_texts:
        progress(0.9, f"token activations for {len(pool_texts)} unlabelled texts")
        pool = _tokens(spec, lm, layer, pool_texts).acts
        cap = int(spec.option("pool_tokens"))
        if cap and len(pool) > cap:
            keep = np.random.default_rng(spec.protocol.seed).choice(len(pool), cap, replace=False)
            pool = pool[np.sort(keep)]
        prepared[0].meta["pool_X"] = pool
    return prepared, time.perf_counter() - started


def _tokens(spec: Spec, lm: LM, layer: int, texts: list[str]) -> Any:
    from replication.harness.activations import cache_dir
    from replication.harness.steering.lm import token_activations

    return token_activations(
        lm,
        texts,
        layer=layer,
        max_length=spec.activations.max_length,
        cache=cache_dir(spec.cache_dir),
        batch_size=spec.activations.batch_size,
    )


def _prepared(spec: Spec, lm: LM, layer: int, cd: ConceptData) -> PreparedDataset:
    train = _tokens(spec, lm, layer, cd.train_pos + cd.train_neg)
    judge = _tokens(spec, lm, layer, cd.judge_pos + cd.judge_neg)
    y = np.concatenate([np.ones(len(cd.train_pos)), np.zeros(len(cd.train_neg))]).astype(int)
    return PreparedDataset(
        name=cd.concept.name,
        X=train.pooled(),
        y=y,
        meta={"concept": cd, "train_tokens": train, "judge_tokens": judge, "pool_X": None},
    )


def training_pool(spec: Spec, ds: PreparedDataset) -> np.ndarray:
    """The SAE trains on every token of the method-half texts (and the unlabelled pool)."""
    return np.asarray(ds.meta["train_tokens"].acts)
