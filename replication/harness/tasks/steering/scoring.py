"""Steering, step 3: generating and scoring one (mode, concept, seed).

:class:`Setup` generates for instructions (chat-formatted here, an intervention hooked in) and
scores responses against the request *without* the concept (:class:`Prompt.neutral`): when
suppressing, relevance and fluency are measured against what was asked minus the concept, so a
response that avoids the concept is not punished for leaving the eliciting prompt's topic.
The reference (the unsteered model's medians) is built explicitly, once, by
:func:`build_reference` from unsteered answers to the neutral validation requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from replication.harness.context import TaskContext
from replication.harness.steering import judge as jd
from replication.harness.steering.concepts import Concept
from replication.harness.steering.lm import LM, Generation, generate, response_nll
from replication.harness.tasks.steering.methods import Directions
from replication.harness.tasks.steering.preparation import Prompt

#: Relative change of the residual stream below which an intervention counts as a no-op.
NO_OP_EFFECT = 1e-4


@dataclass
class Setup:
    """Everything one (mode, concept, seed) needs to generate and score."""

    ctx: TaskContext
    lm: LM
    layer: int
    mode: str
    concept: Concept
    classifier: jd.ConceptClassifier
    directions: Directions
    norm: float
    seed: int
    val: list[Prompt]
    test: list[Prompt]
    ref: jd.Reference | None = None
    _val_acts: Any = None

    @property
    def suppress(self) -> bool:
        return self.mode == "suppress"

    def gen(self, instructions: list[str], intervention: Any = None) -> Generation:
        """Generate for these instructions (chat-formatted here), one intervention row each."""
        spec = self.ctx.spec
        return generate(
            self.lm,
            [self.lm.format(i) for i in instructions],
            layer=self.layer,
            intervention=intervention,
            max_new_tokens=int(spec.option("max_new_tokens")),
            seed=self.seed,
            temperature=float(spec.option("temperature")),
            batch_size=int(spec.option("batch_size")),
        )

    def score(self, prompts: list[Prompt], g: Generation) -> jd.Scores:
        if self.ref is None:
            raise RuntimeError("build_reference(setup) must run before any score()")
        nll, distinct, cosine = _terms(self, [p.neutral for p in prompts], g)
        return jd.score(
            concept_prob=self.classifier.prob(jd.embed(g.texts, self.ctx.device)),
            suppress=self.suppress,
            nll=nll,
            distinct=distinct,
            cosine=cosine,
            ref=self.ref,
        )

    def effect(self, intervention: Any, rows: int) -> np.ndarray:
        """Per row: the relative change the intervention makes to the residual stream on the
        validation prompts' tokens (0: a no-op)."""
        import torch

        if intervention is None:
            return np.zeros(rows)
        if self._val_acts is None:
            from replication.harness.steering.lm import collect_token_activations

            acts = collect_token_activations(
                self.lm,
                [self.lm.format(p.asked) for p in self.val],
                layer=self.layer,
                max_length=self.ctx.spec.activations.max_length,
            ).acts
            self._val_acts = torch.from_numpy(np.asarray(acts, np.float32)).to(self.ctx.device)
        h = self._val_acts[None].expand(rows, *self._val_acts.shape)
        with torch.inference_mode():
            changed = intervention.rows(slice(0, rows))(h)
        num = torch.linalg.vector_norm((changed - h).flatten(1), dim=1)
        den = torch.linalg.vector_norm(h.flatten(1), dim=1).clamp_min(1e-8)
        return (num / den).cpu().numpy()


def _terms(setup: Setup, requests: list[str], g: Generation) -> tuple[Any, Any, Any]:
    """(NLL given the request, distinct-2, cosine to the request) of each response."""
    lm, device = setup.lm, setup.ctx.device
    nll = response_nll(lm, [lm.format(r) for r in requests], g.new_tokens)
    distinct = np.array([jd.distinct2(t) for t in g.new_tokens])
    cosine = (jd.embed(g.texts, device) * jd.embed(requests, device)).sum(1)
    return nll, distinct, cosine


def build_reference(setup: Setup) -> jd.Reference:
    """The unsteered model's medians on the neutral validation requests, set on ``setup``."""
    requests = [p.neutral for p in setup.val]
    nll, distinct, cosine = _terms(setup, requests, setup.gen(requests))
    setup.ref = jd.Reference(
        nll=float(np.nanmedian(nll)),
        distinct=float(np.median(distinct)),
        relevance=float(np.median(cosine)),
    )
    return setup.ref
