"""Automatic, offline scoring of generations: stand-ins for AxBench's LLM judge.

Per response, three terms on [0, 1] and their harmonic mean (the headline, AxBench's way of
combining its three judge scores):

- concept: P(concept | response) from a classifier on MiniLM embeddings (standardised,
  logistic regression) trained on the concept's held-out example texts, never on generated text.
  When suppressing, the term is 1 - P.
- fluency: exp(-max(0, NLL - NLL_ref)) x min(1, distinct-2 / distinct-2_ref), where NLL is
  the response's mean per-token negative log-likelihood under the unsteered model (given the
  original instruction) and the references are the unsteered generations' medians on the
  validation prompts. The distinct-bigram factor is there because a degenerate repetition
  has a low perplexity.
- relevance: cosine similarity of MiniLM embeddings of instruction and response, divided by
  the unsteered generations' median and clipped to [0, 1].
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from replication.harness.spec import ActivationSpec

if TYPE_CHECKING:  # embed() imports activations when first called
    from replication.harness.activations import Encoder


def embed(texts: Sequence[str], device: str) -> np.ndarray:
    """Unit-norm MiniLM sentence embeddings, memoised per text in this process: scoring
    embeds each response twice (concept and relevance) and the same requests for every
    setting, and identical generations recur (no-op settings, repeated seeds); MiniLM was
    most of a steering run's scoring time before the memo."""
    from replication.harness.activations import _minilm_encoder

    encoder = _ENCODERS.get(device) or _minilm_encoder(ActivationSpec(model="minilm"), device)
    _ENCODERS[device] = encoder
    keys = [t if t.strip() else "." for t in texts]
    memo = _MEMO.setdefault(device, {})
    missing = list(dict.fromkeys(k for k in keys if k not in memo))
    if missing:
        if len(memo) + len(missing) > _MEMO_MAX:
            memo.clear()  # bounded memory: a long run starts over rather than grows
        X = encoder(missing, None)
        X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-8)
        memo.update(zip(missing, X.astype(np.float32), strict=True))
    if not keys:
        return np.zeros((0, 384), np.float32)
    return np.stack([memo[k] for k in keys])


_ENCODERS: dict[str, Encoder] = {}
#: At most this many texts' embeddings are kept (384 floats each: about 30 MB).
_MEMO_MAX = 20_000
_MEMO: dict[str, dict[str, np.ndarray]] = {}


@dataclass
class ConceptClassifier:
    model: object
    cv_auroc: float

    def prob(self, X: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(X)[:, 1]  # type: ignore[attr-defined]


def fit_concept_classifier(pos: np.ndarray, neg: np.ndarray, seed: int) -> ConceptClassifier:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = np.concatenate([pos, neg])
    y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    # standardised: on raw unit-norm embeddings the probabilities hug the class prior
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        folds = int(min(5, len(pos), len(neg)))
        cv = float(np.mean(cross_val_score(model, X, y, cv=folds, scoring="roc_auc")))
        model.fit(X, y)
    return ConceptClassifier(model, cv)


def distinct2(tokens: Sequence[int]) -> float:
    if len(tokens) < 3:
        return 1.0
    bigrams = list(zip(tokens[:-1], tokens[1:], strict=True))
    return len(set(bigrams)) / len(bigrams)


@dataclass(frozen=True)
class Reference:
    """The unsteered model's medians on validation prompts."""

    nll: float
    distinct: float
    relevance: float


def harmonic(*terms: np.ndarray) -> np.ndarray:
    stacked = np.clip(np.stack(terms), 0.0, 1.0)
    with np.errstate(divide="ignore"):
        inv = np.where(stacked > 0, 1.0 / np.maximum(stacked, 1e-12), np.inf)
    return np.where(np.isinf(inv).any(0), 0.0, len(terms) / inv.sum(0))


@dataclass
class Scores:
    concept: np.ndarray
    fluency: np.ndarray
    relevance: np.ndarray
    headline: np.ndarray

    def means(self) -> dict[str, float]:
        return {
            "concept": float(np.mean(self.concept)),
            "fluency": float(np.mean(self.fluency)),
            "relevance": float(np.mean(self.relevance)),
            "headline": float(np.mean(self.headline)),
        }


def score(
    *,
    concept_prob: np.ndarray,
    suppress: bool,
    nll: np.ndarray,
    distinct: np.ndarray,
    cosine: np.ndarray,
    ref: Reference,
) -> Scores:
    concept = 1.0 - concept_prob if suppress else concept_prob
    excess = np.maximum(0.0, np.nan_to_num(nll, nan=np.inf) - ref.nll)
    fluency = np.exp(-excess) * np.minimum(1.0, distinct / max(ref.distinct, 1e-6))
    relevance = np.clip(cosine / max(ref.relevance, 0.05), 0.0, 1.0)
    return Scores(concept, fluency, relevance, harmonic(concept, fluency, relevance))


def pareto_front(points: list[tuple[float, float]]) -> list[bool]:
    """Which (concept, quality) points no other point beats on both (higher is better)."""
    front = []
    for i, (c, q) in enumerate(points):
        dominated = any(
            (c2 >= c and q2 >= q and (c2 > c or q2 > q))
            for j, (c2, q2) in enumerate(points)
            if j != i
        )
        front.append(not dominated)
    return front
