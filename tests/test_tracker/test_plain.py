"""Plain language on the public pages (tracker.plain), and the replication scope fallback."""

from __future__ import annotations

import pytest

from replication.harness import spec as harness_spec
from replication.harness.tasks import (
    hypothesis_predictivity,
    ood_detection,
    sparse_probing,
    spurious_correlation_removal,
    steering,
)
from replication.scope import TASK_SCOPES, scope_of
from tracker import plain


@pytest.mark.parametrize(("key", "words"), [
    ("raw_dims_lasso_k", "K raw dimensions chosen by Lasso"),
    ("logreg", "logistic regression on the activations"),
    ("sae_top_latents", "SAE probe (logistic regression on the top SAE latents)"),
    ("something_new", "something new"),  # unknown keys are de-underscored, not hidden
    ("", ""),
])
def test_method_names_are_spelled_out(key, words):
    assert plain.method_name(key) == words


@pytest.mark.parametrize(("p", "text"), [
    (0.0069, "0.0069"),
    (0.00005, "< 0.0001"),
    (0.0001, "0.0001"),
    (0.0, "< 0.0001"),
    (1.0, "1.0000"),
    (None, ""),
])
def test_p_values_never_read_as_zero(p, text):
    assert plain.p_value(p) == text


def _harness_methods() -> set[str]:
    names = set()
    for task in harness_spec.BASELINES.values():
        names |= set(task)
    names |= set(hypothesis_predictivity.BASELINE_NAMES.values())
    for module in (hypothesis_predictivity, sparse_probing, spurious_correlation_removal):
        names |= {module.SAE_METHOD, *module.CONTROLS}
    names |= {*ood_detection.SAE_METHODS, *ood_detection.RANDOM_METHODS, *ood_detection.CONTROLS}
    names |= {*steering.SAE_METHODS, *steering.CONTROLS}
    return names


def test_every_method_the_harness_writes_has_a_name():
    missing = sorted(m for m in _harness_methods() if m not in plain.METHOD_NAMES)
    assert missing == []


def test_every_task_has_a_scope_statement():
    assert set(TASK_SCOPES) == set(harness_spec.BASELINES)


@pytest.mark.parametrize(("part", "whole", "noun", "text"), [
    (3, 113, "dataset", "3 of 113 datasets"),
    (0, 1, "dataset", "0 of 1 dataset"),
    (1, 1, "adjudicator", "1 of 1 adjudicator"),
    (2, 3, "criterion", "2 of 3 criterions"),  # regular plural unless told
])
def test_count_of(part, whole, noun, text):
    assert plain.count_of(part, whole, noun) == text


def test_count_of_with_an_irregular_plural():
    assert plain.count_of(2, 3, "criterion", "criteria") == "2 of 3 criteria"


@pytest.mark.parametrize(("fraction", "n", "text"), [
    (0.0, 1, "0 of 1 dataset"),
    (1.0, 1, "1 of 1 dataset"),
    (0.25, 4, "1 of 4 datasets"),
    (None, 0, "none of 0 datasets"),
])
def test_share_text(fraction, n, text):
    assert plain.share_text(fraction, n, "dataset") == text


@pytest.mark.parametrize(("texts", "newest_first"), [
    (["2025-02", "2025-02-05", "2025-01-31", "2025-03"],
     ["2025-03", "2025-02-05", "2025-02", "2025-01-31"]),
    (["2024", "2024-06", "2023-12-31", ""], ["2024-06", "2024", "2023-12-31", ""]),
    (["not a date", "2021-04-14"], ["2021-04-14", "not a date"]),
])
def test_month_only_dates_sort_within_their_year_not_at_the_bottom(texts, newest_first):
    assert sorted(texts, key=plain.date_sort_key, reverse=True) == newest_first


@pytest.mark.parametrize(("text", "words"), [
    ("2025-02", "February 2025"),
    ("2025-02-05", "5 February 2025"),
    ("2025", "2025"),
    ("2025-13", "2025"),
    ("soon", "soon"),
    ("", ""),
])
def test_date_words(text, words):
    assert plain.date_words(text) == words


@pytest.mark.parametrize(("url", "label"), [
    ("https://arxiv.org/abs/2502.16681", "arXiv 2502.16681"),
    ("https://arxiv.org/html/2502.16681v1", "arXiv 2502.16681"),
    ("https://www.lesswrong.com/posts/x/y", "LessWrong"),
    ("https://manifold.markets/NeelNanda/will", "Manifold"),
    ("https://tilderesearch.com/blog/sieve", "tilderesearch.com"),
    ("not a url", "not a url"),
])
def test_source_links_are_named_after_their_site(url, label):
    assert plain.source_label(url) == label


@pytest.mark.parametrize(("note", "public"), [
    ("Sam Marks agreed with that top-line critique (seed-003).",
     "Sam Marks agreed with that top-line critique."),
    ("Seed-003: Sam Marks called it a first.", "Sam Marks called it a first."),
    ("Nothing internal here.", "Nothing internal here."),
    ("", ""),
])
def test_internal_provenance_ids_are_removed_from_notes(note, public):
    assert plain.public_note(note) == public


def test_short_hash():
    assert plain.short_hash("ab" * 32) == "abababababab"
    assert plain.short_hash("") == ""


@pytest.mark.parametrize(("results", "source", "starts"), [
    ({"task": "sparse_probing"}, "task", "Whether probes on a few SAE latents"),
    ({"spec": {"task": "hypothesis_predictivity"}}, "task", "Whether K SAE neurons"),
    ({"task": "sparse_probing", "scope": {"tests": "Only A.", "does_not_test": "B."}},
     "results", "Only A."),
    ({"task": "sparse_probing", "scope": {"tests": "", "does_not_test": ""}}, "task",
     "Whether probes"),  # an empty scope does not hide the fallback
])
def test_scope_prefers_results_json_then_the_task(results, source, starts):
    scope = scope_of(results)
    assert scope.source == source and scope.tests.startswith(starts)


@pytest.mark.parametrize("results", [None, {}, {"task": "unknown_task"}])
def test_no_scope_when_nothing_says(results):
    assert scope_of(results) is None


@pytest.mark.parametrize(("venue", "parts"), [
    ("ICLR 2025 (poster, per secondary source)", ("ICLR 2025 (poster)", True)),
    ("NeurIPS 2024 (secondary source)", ("NeurIPS 2024", True)),
    ("ICML 2025 (per secondary source)", ("ICML 2025", True)),
    ("ICML 2025", ("ICML 2025", False)),
    ("", ("", False)),
])
def test_venue_caveats_become_a_pointer_to_the_sources(venue, parts):
    assert plain.venue_parts(venue) == parts
