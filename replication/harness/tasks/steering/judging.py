"""Steering, step 4: the concept judge, trained with more examples and checked on generated text.

The judge (:mod:`replication.harness.steering.judge`: MiniLM embeddings, standardised logistic
regression) is trained on

- the concept's judge-half example texts (never seen by a method), positives and negatives;
- the other concepts' judge-half positives, as extra negatives;
- unsteered answers of the model to prompts about the concept (positives) and about everyday
  topics (negatives): the *training* judge prompts of
  :func:`~replication.harness.steering.concepts.judge_prompts`, each kept only where a first
  judge, trained on the example texts alone, agrees with the prompt's label.

Its accuracy is then measured on unsteered answers to the *validation* judge prompts: other
tasks, so neither the prompts nor the texts were trained on. Labels there come from the prompt
(asked about the concept or not), so a response that ignores its prompt counts against the
judge: the figure is a lower bound on its accuracy on clear texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from replication.harness import stats
from replication.harness.spec import Spec
from replication.harness.steering import judge as jd
from replication.harness.steering.concepts import judge_prompts
from replication.harness.steering.lm import LM, generate
from replication.harness.tasks.steering.preparation import ConceptData


@dataclass
class Judge:
    classifier: jd.ConceptClassifier
    report: dict[str, Any]


def _answers(spec: Spec, lm: LM, layer: int, prompts: list[str], seed: int) -> list[str]:
    g = generate(
        lm,
        [lm.format(p) for p in prompts],
        layer=layer,
        max_new_tokens=int(spec.option("max_new_tokens")),
        seed=seed,
        temperature=float(spec.option("temperature")),
        batch_size=int(spec.option("batch_size")),
    )
    return g.texts


def _fit(pos: list[str], neg: list[str], device: str, seed: int) -> jd.ConceptClassifier:
    emb = jd.embed(pos + neg, device)
    return jd.fit_concept_classifier(emb[: len(pos)], emb[len(pos) :], seed)


def _agreeing(
    classifier: jd.ConceptClassifier, texts: list[str], device: str, *, positive: bool
) -> list[str]:
    if not texts:
        return []
    prob = classifier.prob(jd.embed(texts, device))
    return [t for t, p in zip(texts, prob, strict=True) if (p >= 0.5) == positive]


def build_judge(
    spec: Spec, lm: LM, layer: int, cd: ConceptData, others: list[ConceptData], device: str
) -> Judge:
    """Train the concept's judge, then measure it on generated text it was not trained on."""
    prompts = judge_prompts(cd.concept, int(spec.option("judge_samples")))
    seed = spec.protocol.seed
    answers = _answers(spec, lm, layer, [p for v in prompts.values() for p in v], seed)
    texts, start = {}, 0
    for key, listed in prompts.items():  # one batched generation, split back by part
        texts[key], start = answers[start : start + len(listed)], start + len(listed)
    extra_neg = [t for o in others for t in o.judge_pos]
    pos, neg = cd.judge_pos, cd.judge_neg + extra_neg
    first = _fit(pos, neg, device, seed)
    # generated training texts are labelled by their prompt, then kept only where the judge
    # trained on example texts agrees (a model that ignores its prompt adds no wrong labels)
    gen_pos = _agreeing(first, texts["train_pos"], device, positive=True)
    gen_neg = _agreeing(first, texts["train_neg"], device, positive=False)
    classifier = _fit(pos + gen_pos, neg + gen_neg, device, seed)
    val_texts = texts["validation_pos"] + texts["validation_neg"]
    labels = np.r_[np.ones(len(texts["validation_pos"])), np.zeros(len(texts["validation_neg"]))]
    prob = classifier.prob(jd.embed(val_texts, device))
    report = {
        "trained_on": {
            "example_pos": len(cd.judge_pos),
            "example_neg": len(cd.judge_neg),
            "other_concepts_pos_as_neg": len(extra_neg),
            "generated_pos": len(gen_pos),
            "generated_neg": len(gen_neg),
            "generated_offered": len(texts["train_pos"]) + len(texts["train_neg"]),
        },
        "cv_auroc_on_training_texts": classifier.cv_auroc,
        "generated_validation": {
            "n_pos": len(texts["validation_pos"]),
            "n_neg": len(texts["validation_neg"]),
            "auroc": stats.auroc(labels, prob),
            "accuracy": float(np.mean((prob >= 0.5) == (labels == 1))),
            "mean_prob_pos": float(prob[labels == 1].mean()),
            "mean_prob_neg": float(prob[labels == 0].mean()),
            "examples": {"pos": texts["validation_pos"][:2], "neg": texts["validation_neg"][:2]},
        },
    }
    return Judge(classifier, report)
