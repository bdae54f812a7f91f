"""Steering toward and suppressing concepts (AxBench, Golden Gate Claude, Sieve, refusal).

A causal LM (``activations.model``: ``smollm2`` or ``hf:<local path>``) is steered through a
forward hook on the residual stream at ``activations.layer`` during batched generation.
Each concept (``data.datasets``: curated names or sae-probes datasets) is defined by
positive and negative example texts, split once into a *method* half (latent choice,
directions, probe, rejection detector) and a *judge* half (the concept classifier of
:mod:`replication.harness.steering.judge`; never seen by any method).

The SAE is trained (or loaded) on token-level activations of the method-half texts and an
unlabelled pool. A concept's latent is the one with the largest mean activation difference
between positive and negative tokens of the method half; it is *selective* when its per-text
maximum separates the judge half's positives from negatives with AUROC >= the
``selectivity_auroc`` option. Methods (the same names in both modes, so one comparison covers
both; *s* is a multiple of the mean residual norm, *m* of the latent's largest activation on
positive method-half texts):

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

Controls: ``unsteered`` (the model as is) and ``random_dictionary`` (the first SAE method on
the random-dictionary control's chosen latent). Each method's setting (strength, template or
n) is chosen on validation prompts from at most ``protocol.tuning_budget`` settings; the test
prompts are generated once, with the chosen setting, per seed. The metric is the per-prompt
harmonic mean of concept, fluency and relevance (``mean_score``); cells are (mode, concept)
and flow through the shared comparison, so the verdict rule is the other tasks'.
Rejection sampling's n is the compute-matched count: the SAE method's generation FLOPs per
test prompt plus its share of 10% of SAE training FLOPs, over one unsteered generation's.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from replication.harness import flops as fl
from replication.harness import stats
from replication.harness.context import Cell, PreparedDataset, TaskContext, TaskOutput
from replication.harness.errors import DataError
from replication.harness.spec import Spec
from replication.harness.steering import interventions as iv
from replication.harness.steering import judge as jd
from replication.harness.steering.concepts import (
    Concept,
    continuation_prompt,
    load_concept,
    neutral_prompts,
)
from replication.harness.steering.lm import LM, Generation, generate, load_lm, response_nll
from replication.harness.tuning import MethodRun

METRIC = "mean_score"
SAE_METHODS = ("sae_addition", "sae_clamp")
CONTROLS = ["unsteered", "random_dictionary"]
STEER_TEMPLATES = [
    "{instruction} In your answer, talk about {concept}.",
    "{instruction} Make your answer about {concept}.",
    "Bring {concept} into your answer. {instruction}",
]
SUPPRESS_TEMPLATES = [
    "{instruction} Do not mention {concept}.",
    "{instruction} Avoid any reference to {concept}.",
    "Without talking about {concept}: {instruction}",
]


def _mean_score(labels: np.ndarray, scores: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """Mean per-prompt score of each resample row; labels are placeholders."""
    return np.atleast_2d(np.asarray(scores, dtype=np.float64)).mean(axis=-1)


def _weighted_mean_score(
    labels: np.ndarray, scores: np.ndarray, groups: np.ndarray | None, weights: np.ndarray
) -> np.ndarray:
    """Mean score under each row of resample weights [B, n] (a prompt's copies)."""
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (w * np.asarray(scores, dtype=np.float64)).sum(1) / w.sum(1)


# one more metric for the shared comparison: registering keeps stats.py untouched; the
# headline lies on [0, 1], so the relative margin is a share of (1 - score)
stats.METRICS.setdefault(METRIC, _mean_score)
stats.WEIGHTED_METRICS.setdefault(METRIC, _weighted_mean_score)
stats.METRIC_CEILING.setdefault(METRIC, 1.0)


def scope(spec: Spec) -> dict[str, str]:
    """What a steering run tests and what it does not, in words, for results.json: one
    sentence each, as every other task writes them (pages and summary.md print them as is)."""
    model = (
        "SmolLM2-135M-Instruct" if spec.activations.model == "smollm2" else spec.activations.model
    )
    tests = [
        f"steering and suppression of {len(spec.data.datasets)} concept(s) on {model}, "
        f"residual stream at layer {spec.activations.layer} (-1: middle)",
        "SAE latent addition and clamping against the baselines named in the results, each "
        "tuned on validation prompts with the same budget",
        "whether a selective SAE latent exists for each concept",
    ]
    does_not_test = [
        "an LLM judge (the metrics are automatic stand-ins: a MiniLM concept classifier, "
        "perplexity under the unsteered model, MiniLM relevance)",
        "models other than the one named, fine-tuning baselines, or long generations "
        f"(at most {spec.option('max_new_tokens')} new tokens)",
    ]
    return {"tests": "; ".join(tests), "does_not_test": "; ".join(does_not_test)}


# --- preparation: every check before any generation -----------------------------------------


@dataclass
class ConceptData:
    concept: Concept
    train_pos: list[str]
    train_neg: list[str]
    judge_pos: list[str]
    judge_neg: list[str]
    prompts: dict[str, list[str]] = field(default_factory=dict)


def _lm(spec: Spec, device: str) -> tuple[LM, int]:
    from replication.harness.activations import cache_dir

    lm = load_lm(spec.activations.model, device=device, cache=cache_dir(spec.cache_dir))
    return lm, lm.check_layer(spec.activations.layer)


def _split_concept(spec: Spec, concept: Concept, modes: list[str]) -> ConceptData:
    n_prompts = int(spec.option("n_prompts"))
    minimum = int(spec.option("min_examples"))
    pos, neg = list(concept.positives), list(concept.negatives)
    prompts: dict[str, list[str]] = {}
    if "steer" in modes:
        prompts["steer"] = neutral_prompts(n_prompts)
    if "suppress" in modes:
        if concept.elicit:
            # a curated concept brings its own eliciting prompts (eight): at most n_prompts
            prompts["suppress"] = concept.elicit[:n_prompts]
        else:
            # openings of positives that no method and not the judge sees
            prompts["suppress"] = [continuation_prompt(t) for t in pos[:n_prompts]]
            pos = pos[n_prompts:]
    for mode, listed in prompts.items():
        if len(listed) < 2:
            raise DataError(
                f"concept {concept.name!r}: the {mode} prompt list has {len(listed)} prompt(s); "
                "at least 2 are needed (validation and test)"
            )
        # one fixed shuffle: the first half is validation, the rest test
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


def prepare(spec: Spec, *, device: str, progress: Any) -> tuple[list[PreparedDataset], float]:
    """Check the model, layer, concepts and prompts, then collect token activations (cached)."""
    from replication.harness.activations import cache_dir
    from replication.harness.steering.lm import token_activations

    check_spec(spec)
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
    progress(0.0, "loading the language model")
    lm, layer = _lm(spec, device)
    data = [
        _split_concept(
            spec,
            load_concept(
                spec.data.source, name, int(spec.option("concept_rows")), spec.protocol.seed
            ),
            modes,
        )
        for name in spec.data.datasets
    ]
    pool_texts = _pool_texts(spec)
    cache = cache_dir(spec.cache_dir)
    started = time.perf_counter()
    length = spec.activations.max_length

    def tokens(texts: list[str]) -> Any:
        return token_activations(
            lm,
            texts,
            layer=layer,
            max_length=length,
            cache=cache,
            batch_size=spec.activations.batch_size,
        )

    prepared = []
    for i, cd in enumerate(data):
        progress(0.1 + 0.8 * i / len(data), f"token activations for {cd.concept.name}")
        train = tokens(cd.train_pos + cd.train_neg)
        judge = tokens(cd.judge_pos + cd.judge_neg)
        y = np.concatenate([np.ones(len(cd.train_pos)), np.zeros(len(cd.train_neg))]).astype(int)
        prepared.append(
            PreparedDataset(
                name=cd.concept.name,
                X=train.pooled(),
                y=y,
                meta={"concept": cd, "train_tokens": train, "judge_tokens": judge, "pool_X": None},
            )
        )
    if pool_texts:
        progress(0.9, f"token activations for {len(pool_texts)} unlabelled texts")
        pool = tokens(pool_texts).acts
        cap = int(spec.option("pool_tokens"))
        if cap and len(pool) > cap:
            keep = np.random.default_rng(spec.protocol.seed).choice(len(pool), cap, replace=False)
            pool = pool[np.sort(keep)]
        prepared[0].meta["pool_X"] = pool
    return prepared, time.perf_counter() - started


def training_pool(spec: Spec, ds: PreparedDataset) -> np.ndarray:
    """The SAE trains on every token of the method-half texts (and the unlabelled pool)."""
    return ds.meta["train_tokens"].acts


# --- per-concept directions and latents -----------------------------------------------------


@dataclass
class Directions:
    diff_in_means: np.ndarray  # unit
    probe: np.ndarray  # unit
    probe_model: Any


def _directions(ds: PreparedDataset, seed: int) -> Directions:
    from sklearn.linear_model import LogisticRegression

    toks = ds.meta["train_tokens"]
    cd: ConceptData = ds.meta["concept"]
    n_pos = len(cd.train_pos)
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
    cd: ConceptData = ds.meta["concept"]
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


# --- one (mode, concept): generation, scoring, tuning -----------------------------------------


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
    val: list[str]
    test: list[str]
    ref: jd.Reference | None = None

    @property
    def suppress(self) -> bool:
        return self.mode == "suppress"

    def gen(
        self, instructions: list[str], formatted: list[str], intervention: Any = None
    ) -> Generation:
        spec = self.ctx.spec
        return generate(
            self.lm,
            formatted,
            layer=self.layer,
            intervention=intervention,
            max_new_tokens=int(spec.option("max_new_tokens")),
            seed=self.seed,
            temperature=float(spec.option("temperature")),
            batch_size=int(spec.option("batch_size")),
        )

    def score(self, instructions: list[str], g: Generation) -> jd.Scores:
        device = self.ctx.device
        nll = response_nll(self.lm, [self.lm.format(p) for p in instructions], g.new_tokens)
        distinct = np.array([jd.distinct2(t) for t in g.new_tokens])
        emb_r = jd.embed(g.texts, device)
        emb_i = jd.embed(instructions, device)
        cosine = (emb_r * emb_i).sum(1)
        prob = self.classifier.prob(emb_r)
        if self.ref is None:  # the unsteered validation generations set the reference
            self.ref = jd.Reference(
                nll=float(np.nanmedian(nll)),
                distinct=float(np.median(distinct)),
                relevance=float(np.median(cosine)),
            )
        return jd.score(
            concept_prob=prob,
            suppress=self.suppress,
            nll=nll,
            distinct=distinct,
            cosine=cosine,
            ref=self.ref,
        )


def _budgeted(values: list[Any], budget: int) -> list[Any]:
    """At most ``budget`` settings, evenly spread over the grid (the ends kept)."""
    if len(values) <= budget:
        return list(values)
    picks = np.unique(np.round(np.linspace(0, len(values) - 1, budget)).astype(int))
    return [values[i] for i in picks]


@dataclass
class Method:
    """How a method turns a list of settings into per-row interventions or prompts."""

    configs: list[dict[str, Any]]
    build: Any  # (configs per row) -> intervention or None
    template: Any = None  # (config, instruction) -> instruction


def _run_method(setup: Setup, method: Method) -> tuple[MethodRun, list[dict[str, Any]]]:
    """Generate every setting on the validation prompts in one batch, pick the best mean
    headline, then generate the test prompts once with it."""
    configs = method.configs
    rows = [(c, p) for c in configs for p in setup.val]
    instr = [p for _, p in rows]
    asked = [method.template(c, p) if method.template else p for c, p in rows]
    g = setup.gen(instr, [setup.lm.format(a) for a in asked], method.build([c for c, _ in rows]))
    scores = setup.score(instr, g)
    n = len(setup.val)
    points: list[dict[str, Any]] = []
    for i, c in enumerate(configs):
        sl = slice(i * n, (i + 1) * n)
        quality = jd.harmonic(scores.fluency[sl], scores.relevance[sl])
        points.append(
            {
                "config": c,
                "headline": float(scores.headline[sl].mean()),
                "concept": float(scores.concept[sl].mean()),
                "quality": float(quality.mean()),
            }
        )
    best = max(range(len(configs)), key=lambda i: points[i]["headline"])
    chosen = configs[best]
    asked_t = [method.template(chosen, p) if method.template else p for p in setup.test]
    gt = setup.gen(
        setup.test, [setup.lm.format(a) for a in asked_t], method.build([chosen] * len(setup.test))
    )
    st = setup.score(setup.test, gt)
    extra_cost = _hook_flops(method.build([chosen]), g, gt)
    run = MethodRun(
        val_metric=points[best]["headline"],
        test_scores=st.headline.astype(np.float64),
        config=chosen,
        flops=g.flops + gt.flops + extra_cost,
        extra={**{f"test_{k}": v for k, v in st.means().items()}, "test_flops": gt.flops},
    )
    return run, points + [{"test_texts": gt.texts[:3]}]


def _hook_flops(intervention: Any, *gens: Generation) -> float:
    if intervention is None:
        return 0.0
    tokens = sum(g.prompt_tokens + sum(len(t) for t in g.new_tokens) for g in gens)
    return intervention.extra_flops_per_token() * tokens


def _rejection(setup: Setup, n_max: int) -> tuple[MethodRun, list[dict[str, Any]]]:
    """Best of n unsteered samples, chosen by the probe (trained on method-half texts) on each
    sample's pooled activations: lowest score when suppressing, highest when steering."""
    from replication.harness.steering.lm import collect_token_activations

    grid = _budgeted(
        sorted({min(2**i, n_max) for i in range(0, 8)} | {n_max}),
        setup.ctx.spec.protocol.tuning_budget,
    )

    def candidates(prompts: list[str]) -> tuple[list[list[int]], list[str], np.ndarray, float]:
        rows = [p for p in prompts for _ in range(n_max)]
        g = setup.gen(rows, [setup.lm.format(p) for p in rows])
        acts = collect_token_activations(
            setup.lm,
            [t or "." for t in g.texts],
            layer=setup.layer,
            max_length=setup.ctx.spec.activations.max_length,
        )
        probe = setup.directions.probe_model.decision_function(acts.pooled())
        detect = 2.0 * setup.lm.n_params * len(acts.acts)
        return g.new_tokens, g.texts, probe.reshape(len(prompts), n_max), g.flops + detect

    def pick(tokens: list[list[int]], texts: list[str], probe: np.ndarray, n: int) -> Generation:
        sign = 1.0 if setup.suppress else -1.0
        idx = [int(np.argmin(sign * probe[i, :n])) + i * n_max for i in range(probe.shape[0])]
        return Generation([texts[j] for j in idx], [tokens[j] for j in idx], 0, 0.0)

    vt, vx, vp, vcost = candidates(setup.val)
    points: list[dict[str, Any]] = []
    for n in grid:
        sc = setup.score(setup.val, pick(vt, vx, vp, n))
        points.append(
            {
                "config": {"n": n},
                "headline": float(sc.headline.mean()),
                "concept": float(sc.concept.mean()),
                "quality": float(jd.harmonic(sc.fluency, sc.relevance).mean()),
            }
        )
    best = max(range(len(grid)), key=lambda i: points[i]["headline"])
    n = grid[best]
    tt, tx, tp, tcost = candidates(setup.test)
    gt = pick(tt, tx, tp, n)
    st = setup.score(setup.test, gt)
    # only n of the n_max test candidates are used: charge n of them (val: every candidate)
    test_cost = tcost * n / n_max
    run = MethodRun(
        val_metric=points[best]["headline"],
        test_scores=st.headline.astype(np.float64),
        config={"n": n, "n_compute_matched": n_max},
        flops=vcost + test_cost,
        extra={**{f"test_{k}": v for k, v in st.means().items()}, "test_flops": test_cost},
    )
    return run, points + [{"test_texts": gt.texts[:3]}]


def _methods(setup: Setup, choice: LatentChoice, sae: Any, spec: Spec) -> dict[str, Method]:
    sign = -1.0 if setup.suppress else 1.0
    budget = spec.protocol.tuning_budget
    strengths = _budgeted([float(s) for s in spec.option("strengths")], budget)
    clamps = _budgeted([float(m) for m in spec.option("clamp_multiples")], budget)
    ablations = _budgeted([float(c) for c in spec.option("ablation_strengths")], budget)
    dec = (sae.W_dec[choice.latent] / sae.scaling_factor).detach().cpu().numpy()
    dec = dec / max(float(np.linalg.norm(dec)), 1e-8)
    norm = setup.norm

    def add(direction: np.ndarray) -> Any:
        return lambda cs: iv.Add(direction, np.array([sign * c["s"] * norm for c in cs]))

    def ablate(direction: np.ndarray) -> Any:
        return lambda cs: iv.Ablate(direction, np.array([c["c"] for c in cs]))

    def clamp(cs: list[dict[str, Any]]) -> Any:
        targets = np.array([sign * c["m"] * choice.max_activation for c in cs])
        cls = iv.ConditionalClamp if setup.suppress else iv.Clamp
        return cls(sae, choice.latent, targets)

    templates = SUPPRESS_TEMPLATES if setup.suppress else STEER_TEMPLATES
    methods = {
        "sae_addition": Method([{"s": s} for s in strengths], add(dec)),
        "sae_clamp": Method([{"m": m} for m in clamps], clamp),
        "prompting": Method(
            [{"template": i} for i in range(len(_budgeted(templates, budget)))],
            lambda cs: None,
            lambda c, p: templates[c["template"]].format(
                instruction=p, concept=setup.concept.description
            ),
        ),
    }
    for name, direction in (
        ("diff_in_means", setup.directions.diff_in_means),
        ("probe", setup.directions.probe),
    ):
        if setup.suppress:
            methods[name] = Method([{"c": c} for c in ablations], ablate(direction))
        else:
            methods[name] = Method([{"s": s} for s in strengths], add(direction))
    return methods


def _sae_training_flops(ctx: TaskContext) -> float:
    cfg = ctx.spec.sae
    if cfg.checkpoint:
        return 0.0
    sae = ctx.saes[0]
    return len(ctx.saes) * fl.sae_training_flops(
        sae.d_in, sae.d_sae, sae.architecture, sae.k, cfg.steps * cfg.batch_size
    )


def run(ctx: TaskContext) -> TaskOutput:
    spec = ctx.spec
    lm, layer = _lm(spec, ctx.device)
    for model in (*ctx.saes, *ctx.random_saes):
        model.to(ctx.device).eval()
    modes = list(spec.option("modes"))
    sae_methods = [m for m in spec.option("sae_methods")]
    baselines = list(spec.baselines)
    n_seeds = spec.protocol.split_seeds
    norm = float(np.linalg.norm(ctx.pool, axis=1).mean())
    train_flops = _sae_training_flops(ctx)
    n_test_total = n_seeds * sum(
        len(p) - len(p) // 2 for ds in ctx.datasets for p in ds.meta["concept"].prompts.values()
    )
    charge_per_prompt = 0.1 * train_flops / max(n_test_total, 1)
    cells: list[Cell] = []
    notes: dict[str, Any] = {"concepts": {}, "pareto": {}, "examples": {}}
    steps = len(ctx.datasets) * len(modes) * n_seeds
    done = 0
    for d_index, ds in enumerate(ctx.datasets):
        cd: ConceptData = ds.meta["concept"]
        directions = _directions(ds, spec.protocol.seed)
        judge_emb = jd.embed(cd.judge_pos + cd.judge_neg, ctx.device)
        classifier = jd.fit_concept_classifier(
            judge_emb[: len(cd.judge_pos)], judge_emb[len(cd.judge_pos) :], spec.protocol.seed
        )
        choices = [choose_latent(ctx, ds, i) for i in range(len(ctx.saes))]
        randoms = [choose_latent(ctx, ds, i, random=True) for i in range(len(ctx.random_saes))]
        threshold = float(spec.option("selectivity_auroc"))
        notes["concepts"][cd.concept.name] = {
            "description": cd.concept.description,
            "examples": {
                "method_pos": len(cd.train_pos),
                "method_neg": len(cd.train_neg),
                "judge_pos": len(cd.judge_pos),
                "judge_neg": len(cd.judge_neg),
            },
            "prompts": {mode: len(p) for mode, p in cd.prompts.items()},
            "judge_cv_auroc": classifier.cv_auroc,
            "latents": [c.__dict__ for c in choices],
            "selective": bool(np.mean([c.selectivity_auroc >= threshold for c in choices]) >= 0.5),
        }
        for mode in modes:
            prompts = cd.prompts[mode]
            n_val = len(prompts) // 2
            cell = Cell(regime=mode, dataset=cd.concept.name)
            pareto: list[dict[str, Any]] = []
            for seed_index in range(n_seeds):
                ctx.progress(
                    done / steps, f"{mode} {cd.concept.name} seed {seed_index + 1}/{n_seeds}"
                )
                done += 1
                sae_index = ctx.sae_for_seed(seed_index)
                setup = Setup(
                    ctx=ctx,
                    lm=lm,
                    layer=layer,
                    mode=mode,
                    concept=cd.concept,
                    classifier=classifier,
                    directions=directions,
                    norm=norm,
                    seed=ctx.split_seed(d_index, seed_index),
                    val=prompts[:n_val],
                    test=prompts[n_val:],
                )
                runs = _seed_runs(
                    setup,
                    choices[sae_index],
                    randoms[sae_index % len(randoms)],
                    sae_index,
                    sae_methods,
                    baselines,
                    charge_per_prompt,
                )
                cell.labels.append(np.zeros(len(setup.test)))
                cell.groups.append(None)
                # every seed tests the same prompts: one identity per prompt
                cell.test_ids.append(np.arange(len(setup.test)))
                for name, (run_, points) in runs.items():
                    cell.add(name, run_)
                    for p in points:
                        if "config" in p:
                            pareto.append({"method": name, "seed": seed_index, **p})
                        elif seed_index == 0:
                            notes["examples"].setdefault(f"{mode}/{cd.concept.name}", {})[name] = p[
                                "test_texts"
                            ]
            front = jd.pareto_front([(p["concept"], p["quality"]) for p in pareto])
            for p, on in zip(pareto, front, strict=True):
                p["on_frontier"] = on
            notes["pareto"][f"{mode}/{cd.concept.name}"] = pareto
            cells.append(cell)
    selective = [c["selective"] for c in notes["concepts"].values()]
    notes.update(
        {
            "scope": scope(spec),
            "selective_latent_share": float(np.mean(selective)),
            "selectivity_auroc_threshold": float(spec.option("selectivity_auroc")),
            "layer": layer,
            "model": lm.name,
            "residual_norm": norm,
            "size": {
                "concepts": len(ctx.datasets),
                "prompts": int(spec.option("n_prompts")),
                "validation_share": "half of each concept's prompts (rounded down)",
                "new_tokens": int(spec.option("max_new_tokens")),
                "seeds": n_seeds,
                "modes": modes,
            },
            "compute": {
                "sae_training_flops": train_flops,
                "sae_training_charge_10pct": 0.1 * train_flops,
                "charge_per_test_prompt": charge_per_prompt,
                "rule": "SAE methods carry 10% of SAE training FLOPs; rejection sampling's n is "
                "matched to that total per test prompt (capped by task_options.rejection_max)",
            },
            "metrics": "automatic stand-ins for an LLM judge: MiniLM concept classifier trained on "
            "held-out concept texts, perplexity under the unsteered model, MiniLM relevance; "
            "headline = harmonic mean on [0, 1]",
        }
    )
    return TaskOutput(
        metric=METRIC,
        sae_methods=sae_methods,
        baselines=baselines,
        controls=CONTROLS,
        cells=cells,
        notes=notes,
    )


def _seed_runs(
    setup: Setup,
    choice: LatentChoice,
    random_choice: LatentChoice,
    sae_index: int,
    sae_methods: list[str],
    baselines: list[str],
    charge_per_prompt: float,
) -> dict[str, tuple[MethodRun, list[dict[str, Any]]]]:
    ctx, spec = setup.ctx, setup.ctx.spec
    # first: the unsteered validation generations set the fluency and relevance references
    base = Method([{}], lambda cs: None)
    runs: dict[str, tuple[MethodRun, list[dict[str, Any]]]] = {
        "unsteered": _run_method(setup, base)
    }
    methods = _methods(setup, choice, ctx.saes[sae_index], spec)
    for name in sae_methods:
        runs[name] = _run_method(setup, methods[name])
    random_methods = _methods(
        setup, random_choice, ctx.random_saes[sae_index % len(ctx.random_saes)], spec
    )
    runs["random_dictionary"] = _run_method(setup, random_methods[sae_methods[0]])
    per_prompt_unsteered = runs["unsteered"][0].extra["test_flops"] / max(len(setup.test), 1)
    sae_per_prompt = runs[sae_methods[0]][0].extra["test_flops"] / max(len(setup.test), 1)
    n_matched = math.floor((sae_per_prompt + charge_per_prompt) / max(per_prompt_unsteered, 1.0))
    n_max = int(min(max(n_matched, 1), int(spec.option("rejection_max"))))
    for name in baselines:
        runs[name] = (
            _rejection(setup, n_max)
            if name == "rejection_sampling"
            else _run_method(setup, methods[name])
        )
    return runs


def check_spec(spec: Spec) -> None:
    """Task-specific checks the generic validation cannot do (called before any generation)."""
    for i, name in enumerate(spec.option("sae_methods")):
        if name not in SAE_METHODS:
            raise DataError(
                f"task_options.sae_methods[{i}] must be one of "
                f"{', '.join(SAE_METHODS)}; got {name!r}"
            )
    if not spec.option("sae_methods"):
        raise DataError("task_options.sae_methods is empty")
    if "rejection_sampling" in spec.baselines and float(spec.option("temperature")) <= 0:
        raise DataError("rejection_sampling needs sampling: task_options.temperature must be > 0")
