"""Relevance of a paper to a market: a pure keyword scorer with its explanation.

`score_paper(title, abstract, profile)` looks for five kinds of evidence in the title and
abstract and adds their weights:

- method: the method under test is named (for the seed market: a sparse autoencoder or
  another dictionary-learning method);
- baselines: named baselines it is compared with (linear probes, steering vectors, ...);
- task: a downstream task (classification, unlearning, steering, detection, ...);
- comparison: the abstract reports a comparison (outperforms, matches, fails to beat, ...);
- numbers: the abstract reports numbers (percentages, accuracy or AUROC values, ...).

Without the method the score is capped below any sensible threshold: a paper about
linear probes alone is not a candidate. Withdrawn papers score zero. No database access.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

WEIGHTS = {"method": 0.4, "baselines": 0.2, "task": 0.15, "comparison": 0.15, "numbers": 0.1}
#: Optional MiniLM similarity to the market adds up to this much, on top of the keywords:
#: nothing at or below SIMILARITY_FLOOR, the full weight at a similarity of 1.
EMBEDDING_WEIGHT = 0.15
SIMILARITY_FLOOR = 0.2
#: The most a paper that never names the method can score.
CAP_WITHOUT_METHOD = 0.3
#: One named baseline earns this share of the baselines weight; two or more earn it all.
ONE_BASELINE_SHARE = 0.75


@dataclass(frozen=True)
class Profile:
    method_terms: tuple[str, ...]
    baseline_terms: tuple[str, ...] = ()
    task_terms: tuple[str, ...] = ()
    threshold: float = 0.5


@dataclass(frozen=True)
class Relevance:
    score: float
    signals: dict = field(default_factory=dict)
    explanation: str = ""

    def passes(self, threshold: float) -> bool:
        return self.score >= threshold


SAE_PROFILE = Profile(
    method_terms=(
        "sparse autoencoder", "sparse auto-encoder", "SAE", "dictionary learning",
        "sparse dictionary", "sparse coding", "transcoder", "crosscoder",
        "sparse feature circuit", "monosemantic feature",
    ),
    baseline_terms=(
        "linear probe", "linear probing", "logistic regression", "difference in means",
        "diff-in-means", "mean difference", "steering vector",
        "activation steering", "representation engineering", "prompting", "fine-tuning",
        "finetuning", "LoRA", "ReFT", "PCA", "principal component", "k-means",
        "random features", "bag of words", "TF-IDF", "baseline",
    ),
    task_terms=(
        "classification", "detection", "probing", "unlearning", "steering", "jailbreak",
        "refusal", "spurious correlation", "debiasing", "bias", "hypothesis generation",
        "auditing", "hidden objective", "out-of-distribution", "toxicity", "downstream",
        "real-world", "concept erasure", "safety",
    ),
    threshold=0.5,
)

_COMPARISON = re.compile(
    r"\b(?:outperform\w*|underperform\w*|beat(?:s|ing)?|surpass\w*|exceed\w*|"
    r"better than|worse than|on par with|competitive with|match(?:es|ing)?|"
    r"fail(?:s|ed)? to (?:beat|outperform|improve)|compared? (?:with|to|against)|"
    r"relative to|improv(?:es|ing|ement) over)\b",
    re.IGNORECASE,
)
_NUMBERS = re.compile(
    r"(?:\b\d+(?:\.\d+)?\s?(?:%|percent\b|percentage points?\b|pp\b|x\b|×)"
    r"|\b(?:accuracy|auroc|auc|f1|precision|recall|error|loss|score)s?\b[^.;]{0,30}?"
    r"\b\d+(?:\.\d+)?)",
    re.IGNORECASE,
)


_WORD = re.compile(r"[^\W_]+")


def _words(text: str) -> list[str]:
    """Lower-case words; spaces, hyphens and punctuation all separate them."""
    return _WORD.findall(text.lower())


@lru_cache(maxsize=64)
def _term_index(terms: tuple[str, ...]) -> tuple[dict[tuple[str, ...], str], frozenset[str], int]:
    """Word sequences (with the last word's plural) -> the term as written, the set of
    first words, and the longest sequence: matching is then a dict lookup per word."""
    index: dict[tuple[str, ...], str] = {}
    for term in terms:
        words = tuple(_words(term))
        if not words:
            continue
        for suffix in ("", "s", "es"):
            index.setdefault((*words[:-1], words[-1] + suffix), term.strip())
    firsts = frozenset(key[0] for key in index)
    return index, firsts, max((len(k) for k in index), default=0)


def _take_terms(words: list[str], taken: list[bool], terms: tuple[str, ...]) -> list[str]:
    """The terms found among the words not yet taken, longest match first; marks the
    words they cover as taken, so a later signal cannot count them again ("steering"
    inside "steering vector")."""
    index, firsts, longest = _term_index(terms)
    found: list[str] = []
    i, n = 0, len(words)
    while i < n:
        if taken[i] or words[i] not in firsts:
            i += 1
            continue
        for size in range(min(longest, n - i), 0, -1):
            term = index.get(tuple(words[i:i + size]))
            if term is not None and not any(taken[i:i + size]):
                found.append(term)
                taken[i:i + size] = [True] * size
                i += size
                break
        else:
            i += 1
    return list(dict.fromkeys(found))


def _find(pattern: re.Pattern[str], text: str, limit: int = 5) -> list[str]:
    found = (re.sub(r"\s+", " ", m.group(0)).strip() for m in pattern.finditer(text))
    return list(dict.fromkeys(found))[:limit]


def score_paper(
    title: str,
    abstract: str,
    profile: Profile,
    *,
    withdrawn: bool = False,
    similarity: float | None = None,
) -> Relevance:
    """The relevance (0 to 1) of a paper to the market described by `profile`.

    `similarity`, when given, is the embedding similarity of the paper to the market
    (computed elsewhere; see tracker.ingestion.embeddings) and adds up to
    EMBEDDING_WEIGHT."""
    if withdrawn:
        return Relevance(0.0, {"withdrawn": True}, "Withdrawn on arXiv: not scored.")
    text = f"{title}\n{abstract}"
    # Method first, then baselines, then tasks, each on what the previous left unmatched.
    words = _words(text)
    taken = [False] * len(words)
    method = _take_terms(words, taken, profile.method_terms)
    baselines = _take_terms(words, taken, profile.baseline_terms)
    tasks = _take_terms(words, taken, profile.task_terms)
    comparison = [c.lower() for c in _find(_COMPARISON, text)]
    numbers = _find(_NUMBERS, abstract)

    named_baselines = [b for b in baselines if b.lower() != "baseline"]
    if len(named_baselines) >= 2:
        baseline_share = 1.0
    elif named_baselines or baselines:
        baseline_share = ONE_BASELINE_SHARE if named_baselines else 0.5
    else:
        baseline_share = 0.0
    parts = {
        "method": WEIGHTS["method"] if method else 0.0,
        "baselines": WEIGHTS["baselines"] * baseline_share,
        "task": WEIGHTS["task"] if tasks else 0.0,
        "comparison": WEIGHTS["comparison"] if comparison else 0.0,
        "numbers": WEIGHTS["numbers"] if numbers else 0.0,
    }
    score = sum(parts.values())
    capped = not method and score > CAP_WITHOUT_METHOD
    if capped:
        score = CAP_WITHOUT_METHOD
    if similarity is not None:
        bonus = EMBEDDING_WEIGHT * max(0.0, similarity - SIMILARITY_FLOOR) / (1 - SIMILARITY_FLOOR)
        parts["embedding"] = bonus
        score += bonus
    score = round(min(score, 1.0), 4)
    signals = {
        "method": method,
        "baselines": baselines,
        "task": tasks,
        "comparison": comparison,
        "numbers": numbers,
        "weights": {k: round(v, 4) for k, v in parts.items()},
        "capped_without_method": capped,
    }
    if similarity is not None:
        signals["embedding_similarity"] = round(similarity, 4)
    return Relevance(score, signals, explain(signals, score))


def explain(signals: dict, score: float) -> str:
    labels = {
        "method": "method",
        "baselines": "baselines",
        "task": "task",
        "comparison": "comparison",
        "numbers": "reported numbers",
    }
    matched = [f"{label}: {', '.join(signals[key])}" for key, label in labels.items()
               if signals.get(key)]
    missing = [label for key, label in labels.items() if not signals.get(key)]
    text = f"Score {score:.2f}. " + ("; ".join(matched) if matched else "No signal matched")
    if missing and matched:
        text += f". Not found: {', '.join(missing)}"
    if signals.get("capped_without_method"):
        text += f". Capped at {CAP_WITHOUT_METHOD} because the method is never named"
    if "embedding_similarity" in signals:
        text += f". MiniLM similarity to the market {signals['embedding_similarity']:.2f}"
    return text + "."
