"""The adjudicator's queue counts on the admin index."""

from __future__ import annotations

from django import template
from django.urls import reverse

from evaluations import queue

register = template.Library()


@register.simple_tag(takes_context=True)
def adjudicator_queue(context) -> list[dict]:
    """Rows (label, count, link to the filtered list) for an adjudicator; [] otherwise."""
    request = context.get("request")
    counts = queue.queue_counts(getattr(request, "user", None)) if request else {}
    base = reverse("admin:evaluations_candidacyscoring_changelist")
    return [{"label": queue.LABELS[which], "count": count, "url": f"{base}?queue={which}"}
            for which, count in counts.items()]
