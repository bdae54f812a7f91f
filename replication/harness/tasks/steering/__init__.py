"""Steering toward and suppressing concepts (AxBench, Golden Gate Claude, Sieve, refusal).

A causal LM (``activations.model``: ``smollm2`` or ``hf:<local path>``) is steered through a
forward hook on the residual stream at ``activations.layer`` during batched generation. Each
concept (``data.datasets``: curated names or sae-probes datasets) is defined by positive and
negative example texts. The parts, in the order a run uses them:

- :mod:`.preparation`: checks, the concept halves (method / judge), the prompts (steering:
  neutral instructions; suppression: eliciting prompts paired with the same request without
  the concept), token activations for the SAE.
- :mod:`.methods`: directions (diff-in-means, probe), the SAE latent, and the methods.
- :mod:`.judging`: the concept judge, and its accuracy on generated text it never saw.
- :mod:`.scoring`: generation and scoring of one (mode, concept, seed), the explicit reference.
- :mod:`.search`: each method's setting chosen on validation prompts with the same budget (a
  strength search for strength methods, never a no-op), then one test pass.
- :mod:`.verdicts`: identical outputs or se 0 read as "no effect", never "equivalent".
- :mod:`.task`: the loops, the notes, and :class:`~.task.SteeringTask` (the registry's entry).

========================  ======================================  =================================
method                    steer (toward the concept)              suppress
========================  ======================================  =================================
sae_addition              h + s d_latent                          h - s d_latent
sae_clamp                 latent clamped to +m everywhere         latent clamped to -m where it
                          (Golden Gate Claude)                    fires, elsewhere untouched (Sieve)
diff_in_means             h + s r (mean difference of tokens)     h - c (h.r) r, directional
                                                                  ablation (the refusal paper)
probe                     h + s w (logistic-regression probe)     h - c (h.w) w
prompting                 instruction + "talk about <concept>"    instruction + "do not mention..."
rejection_sampling        best of n unsteered samples by the      the same, lowest probe score
                          probe score on the response
========================  ======================================  =================================

Controls: ``unsteered`` and ``random_dictionary`` (the first SAE method on the random
dictionary's chosen latent). The metric is the per-prompt harmonic mean of concept, fluency and
relevance (``mean_score``); cells are (mode, concept) and flow through the shared comparison.
"""

from __future__ import annotations

from replication.harness.steering_options import SAE_METHODS
from replication.harness.tasks.steering.methods import STEER_TEMPLATES, SUPPRESS_TEMPLATES
from replication.harness.tasks.steering.preparation import check_spec, prepare, split_concept
from replication.harness.tasks.steering.task import CONTROLS, SteeringTask, run, scope

__all__ = [
    "CONTROLS",
    "SAE_METHODS",
    "STEER_TEMPLATES",
    "SUPPRESS_TEMPLATES",
    "SteeringTask",
    "check_spec",
    "prepare",
    "run",
    "scope",
    "split_concept",
]
