"""Plain language for the public pages: pure functions, no database.

What a reader sees instead of the keys the code uses: method names spelled out, hashes
shortened, counts as "3 of 113 datasets", dates written as the sources give them, source
links named after their site, and internal provenance ids removed from notes.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

#: Method keys written by the harness (results.json "methods"), spelled out.
METHOD_NAMES: dict[str, str] = {
    # sparse probing
    "sae_top_latents": "SAE probe (logistic regression on the top SAE latents)",
    "random_dictionary_top_latents": "random-dictionary probe (control: an untrained SAE)",
    "raw_dims_top_k": "probe on the top raw dimensions (control: no SAE)",
    "logreg": "logistic regression on the activations",
    "pca_logreg": "logistic regression on PCA components",
    "knn": "k-nearest neighbours",
    "mlp": "small neural network (MLP)",
    # hypothesis predictivity
    "sae_lasso_k": "K SAE neurons chosen by Lasso",
    "random_dictionary_lasso_k": "K random-dictionary neurons chosen by Lasso (control)",
    "raw_dims_lasso_k": "K raw dimensions chosen by Lasso",
    "pca_k": "K PCA components",
    "kmeans_k": "K k-means clusters",
    "pca": "K PCA components",
    "raw_dims": "K raw dimensions chosen by Lasso",
    "kmeans": "K k-means clusters",
    # OOD detection
    "sae_reconstruction_error": "SAE reconstruction error",
    "sae_latent_mahalanobis": "Mahalanobis distance on SAE latents",
    "sae_rare_latents": "rare SAE latents firing",
    "random_dictionary_best": "best random-dictionary detector (control)",
    "random_dictionary_reconstruction_error": "random-dictionary reconstruction error (control)",
    "random_dictionary_latent_mahalanobis": "Mahalanobis distance on random-dictionary latents "
                                            "(control)",
    "random_dictionary_rare_latents": "rare random-dictionary latents (control)",
    "raw_dims_mahalanobis": "Mahalanobis distance on raw activations (control)",
    "mahalanobis": "Mahalanobis distance on the activations",
    "knn_distance": "distance to the nearest training examples",
    "pca_reconstruction": "PCA reconstruction error",
    "isolation_forest": "isolation forest",
    # spurious-correlation removal
    "sae_ablate_spurious_latents": "ablating the spurious SAE latents",
    "random_dictionary_ablation": "ablating random-dictionary latents (control)",
    "raw_dims_ablation": "ablating raw dimensions (control)",
    "leace": "LEACE concept erasure",
    "mean_difference": "projecting out the mean difference",
    "balanced_retraining": "retraining on balanced data",
    "sae_addition": "adding an SAE latent's decoder direction",
    "sae_clamp": "clamping an SAE latent",
    "diff_in_means": "difference-in-means steering vector",
    "probe": "probe-direction steering vector",
    "prompting": "prompting (an instruction in the prompt)",
    "rejection_sampling": "rejection sampling at the same compute",
    "unsteered": "the unsteered model (control)",
    "random_dictionary": "a random-dictionary latent (control)",
}

TASK_NAMES: dict[str, str] = {
    "sparse_probing": "sparse probing",
    "ood_detection": "out-of-distribution detection",
    "hypothesis_predictivity": "hypothesis predictivity",
    "spurious_correlation_removal": "removing a spurious correlation",
    "steering": "steering a language model",
}

RUN_VERDICTS: dict[str, str] = {
    "beats": "the SAE method beats the best baseline",
    "equivalent": "the SAE method matches the best baseline (no better)",
    "loses": "the SAE method loses to the best baseline",
    "inconclusive": "too close to call at this sample size",
    "invalid": "no verdict: the SAE failed the quality gate",
}

#: Majority labels of the adjudicators' votes, as a reader says them.
VOTE_WORDS: dict[str, str] = {
    "met": "met",
    "not_met": "not met",
    "unclear": "unclear",
    "not_applicable": "does not apply",
    "no_majority": "no majority",
    "not_assessed": "not assessed",
    "hidden": "hidden",
}


def method_name(key: str) -> str:
    """'raw_dims_lasso_k' -> 'K raw dimensions chosen by Lasso'; unknown keys are
    de-underscored rather than hidden."""
    if not key:
        return ""
    return METHOD_NAMES.get(key, key.replace("_", " "))


def task_name(key: str) -> str:
    return TASK_NAMES.get(key, (key or "").replace("_", " "))


def p_value(p: float | None) -> str:
    """A p-value as a reader takes it: four decimals, or "< 0.0001" rather than a "0.0000"
    that reads as impossible."""
    if p is None:
        return ""
    return "< 0.0001" if p < 0.0001 else f"{p:.4f}"


def short_hash(value: str, length: int = 12) -> str:
    return (value or "")[:length]


def count_of(part: int, whole: int, noun: str, plural: str | None = None) -> str:
    """count_of(3, 113, 'dataset') -> '3 of 113 datasets'; the noun agrees with `whole`."""
    word = noun if whole == 1 else (plural or f"{noun}s")
    return f"{part} of {whole} {word}"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """counted(1, 'forecast') -> '1 forecast'; counted(0, 'forecast') -> '0 forecasts'."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def share_text(fraction: float | None, n: int, noun: str) -> str:
    """A fraction of n things as a count: share_text(0.0, 1, 'dataset') -> '0 of 1 dataset'."""
    if fraction is None or not n:
        return f"none of 0 {noun}s"
    return count_of(round(fraction * n), n, noun)


_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def date_sort_key(text: str) -> tuple[int, int, int]:
    """A sort key for dates known to the year, month or day: (year, month, day), with a
    missing part as 0, so '2025-02' sorts after every day of January 2025 and before (in
    ascending order) any day of February. Unparseable or empty text sorts first."""
    match = _DATE.match((text or "").strip())
    if not match:
        return (0, 0, 0)
    year, month, day = match.groups()
    return (int(year), int(month or 0), int(day or 0))


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def date_words(text: str) -> str:
    """'2025-02' -> 'February 2025'; '2025-02-05' -> '5 February 2025'; '2025' -> '2025'."""
    match = _DATE.match((text or "").strip())
    if not match:
        return text or ""
    year, month, day = match.groups()
    if month is None or not 1 <= int(month) <= 12:
        return year
    if day is None:
        return f"{_MONTHS[int(month) - 1]} {year}"
    return f"{int(day)} {_MONTHS[int(month) - 1]} {year}"


_SITES = {
    "arxiv.org": "arXiv",
    "manifold.markets": "Manifold",
    "lesswrong.com": "LessWrong",
    "www.lesswrong.com": "LessWrong",
    "alignmentforum.org": "Alignment Forum",
    "www.alignmentforum.org": "Alignment Forum",
    "huggingface.co": "Hugging Face",
    "github.com": "GitHub",
    "openreview.net": "OpenReview",
    "proceedings.mlr.press": "PMLR proceedings",
    "papers.nips.cc": "NeurIPS proceedings",
    "pypi.org": "PyPI",
    "transformer-circuits.pub": "Transformer Circuits",
}


def source_label(url: str) -> str:
    """A link's name for a reader: the site, e.g. 'LessWrong' or 'arXiv 2502.16681'."""
    parsed = urlparse(url or "")
    host = (parsed.hostname or "").lower()
    name = _SITES.get(host) or host.removeprefix("www.") or url
    if name == "arXiv":
        match = re.search(r"(\d{4}\.\d{4,5})", parsed.path)
        if match:
            return f"arXiv {match.group(1)}"
    return name


# Internal references to the project's own research notes ("seed-003") mean nothing to a
# reader: the note's sources are linked beside it instead.
_INTERNAL_REF = re.compile(r"\s*\((?:see\s+)?seed-\d+\)|\bseed-\d+:\s*", re.IGNORECASE)


def public_note(text: str) -> str:
    """The note without internal provenance ids, e.g. '... critique (seed-003).' ->
    '... critique.' and 'Seed-003: Sam Marks said' -> 'Sam Marks said'."""
    cleaned = _INTERNAL_REF.sub("", text or "")
    cleaned = re.sub(r"\s+([.,;])", r"\1", cleaned)
    return cleaned[:1].upper() + cleaned[1:] if cleaned else cleaned


_SECONDARY = re.compile(r"\s*\((?:per\s+)?secondary source\)|,?\s*per secondary source",
                        re.IGNORECASE)


def venue_parts(venue: str) -> tuple[str, bool]:
    """The venue without the catalogue's '(per secondary source)' remark, and whether it
    had one: 'ICLR 2025 (poster, per secondary source)' -> ('ICLR 2025 (poster)', True)."""
    cleaned, count = _SECONDARY.subn("", venue or "")
    return cleaned.strip(), bool(count)
