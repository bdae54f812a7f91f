"""Template helpers of the public pages: navigation, plain-language filters, the copyable
short hash. The wording lives in tracker.plain (pure, tested)."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html

from tracker import plain

register = template.Library()


@register.inclusion_tag("replication/_progress.html")
def run_progress(run, compact: bool = False, live: bool = False) -> dict:
    """A running replication's progress bar, elapsed time and estimate of what is left:
    read afresh (`live`, the run's progress fragment), or on a page a placeholder that
    static/tracker/progress.js fills from the fragment. A page never shows the live columns
    itself: they change without expiring it (tracker/content_version.py, LIVE_COLUMNS)."""
    from django.utils import timezone

    from tracker import content_version, page_reads
    from tracker.progress import progress_of

    url = reverse("replication:run-progress", args=[run.pk]) + ("?compact=1" if compact else "")
    context = {"run": run, "compact": compact, "live": live, "url": url}
    if live:
        # What a cache keeps of this is keyed by the live columns' own version.
        page_reads.note(content_version.live_name(run._meta.db_table))
        context["progress"] = progress_of(run, timezone.now())
    return context


@register.simple_tag(takes_context=True)
def nav_link(context, url_name: str, label: str, prefix: str) -> str:
    """A nav link, marked aria-current when the page is in its section."""
    url = reverse(url_name)
    request = context.get("request")
    path = getattr(request, "path", "")
    current = path == url or (prefix != "/" and path.startswith(prefix))
    if url_name == "tracker:home":
        current = path == "/" or path.startswith("/markets/")
    if current:
        return format_html('<a href="{}" aria-current="page">{}</a>', url, label)
    return format_html('<a href="{}">{}</a>', url, label)


@register.filter
def method_name(key: str) -> str:
    return plain.method_name(key)


@register.filter
def task_name(key: str) -> str:
    return plain.task_name(key)


@register.filter
def run_verdict_words(verdict: str) -> str:
    return plain.RUN_VERDICTS.get(verdict or "", verdict or "")


@register.filter
def vote_words(key: str) -> str:
    return plain.VOTE_WORDS.get(key or "", (key or "").replace("_", " "))


@register.filter
def source_label(url: str) -> str:
    return plain.source_label(url)


@register.filter
def date_words(text: str) -> str:
    return plain.date_words(text)


@register.filter
def public_note(text: str) -> str:
    return plain.public_note(text)


@register.filter
def criterion_titles(keys, market) -> str:
    """Criterion keys of `market` as their titles, comma-separated (criteria prefetched)."""
    titles = {c.key: c.title for c in market.criteria.all()}
    return ", ".join(titles.get(k, k.replace("_", " ")) for k in keys or [])


@register.inclusion_tag("tracker/_hash.html")
def short_hash(value: str, label: str = "hash"):
    """The first 12 characters, the whole value in the title and a copy button (copy.js)."""
    return {"short": plain.short_hash(value), "full": value or "", "label": label}


@register.simple_tag
def count_of(part: int, whole: int, noun: str) -> str:
    return plain.count_of(part, whole, noun)


@register.simple_tag
def counted(n: int, noun: str) -> str:
    return plain.counted(n, noun)


@register.filter
def run_scope(results):
    """What a replication tests and does not test (replication.scope)."""
    from replication.scope import scope_of

    return scope_of(results)


@register.filter
def share_of(fraction, n) -> str:
    """0.25, 4 -> '1 of 4 datasets'."""
    try:
        return plain.share_text(float(fraction) if fraction is not None else None, int(n or 0),
                                "dataset")
    except (TypeError, ValueError):
        return ""


@register.filter
def percent(value) -> str:
    """0.129 -> '13%'; None -> '–'."""
    if value is None:
        return "–"
    return f"{float(value):.0%}"


@register.filter
def sum_n(bins) -> int:
    return sum(b.n for b in bins)


@register.filter
def venue_text(venue: str) -> str:
    return plain.venue_parts(venue)[0]


@register.filter
def venue_unconfirmed(venue: str) -> bool:
    return plain.venue_parts(venue)[1]


@register.filter
def p_value(p: float | None) -> str:
    return plain.p_value(p)
