"""Atom feeds of a market (Django's syndication framework): new candidates, and changes of
verdicts and of the resolution. Advertised on the market page with <link rel="alternate">."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed

from tracker import reader
from tracker.models import Market

FEED_LENGTH = 50


@dataclass(frozen=True)
class Subject:
    """The feed's object: the market and who asks (the feed instance is shared by requests,
    so the viewer travels here, not on self)."""

    market: Market
    viewer: Any

    def __str__(self) -> str:
        return self.market.title


class QuietAtomFeed(Atom1Feed):
    """An Atom feed whose <updated> without entries is a fixed date (``quiet_since``), not
    Django's "now": an empty feed then reads the same until an entry appears, so its date
    never tells a reader that something they may not see was written (blind review)."""

    def latest_post_date(self):
        if any(item.get("updateddate") or item.get("pubdate") for item in self.items):
            return super().latest_post_date()
        return self.feed.get("quiet_since") or super().latest_post_date()


class _MarketFeed(Feed):
    feed_type = QuietAtomFeed
    # Atom requires an author on the feed (or on every entry).
    author_name = "SAE resolution tracker"

    def get_object(self, request, slug: str) -> Subject:
        return Subject(get_object_or_404(Market, slug=slug), getattr(request, "user", None))

    def feed_extra_kwargs(self, subject: Subject) -> dict[str, Any]:
        return {"quiet_since": subject.market.created_at}

    def link(self, subject: Subject) -> str:
        return subject.market.get_absolute_url()

    def item_title(self, change: reader.Change) -> str:
        return change.title

    def item_link(self, change: reader.Change) -> str:
        return change.url

    def item_guid(self, change: reader.Change) -> str:
        return f"tag:sae-resolution-tracker,2025:{change.uid}"

    item_guid_is_permalink = False

    def item_pubdate(self, change: reader.Change):
        return change.when  # None when the sources give no date: no <published>

    def item_updateddate(self, change: reader.Change):
        # Atom's <updated> is when this entry last changed: the tracker's record of it.
        return change.recorded or change.when

    def item_description(self, change: reader.Change) -> str:
        if change.when is None:
            return f"{change.text} (Date: {change.date_text}.)"
        return change.text


class CandidatesFeed(_MarketFeed):
    def title(self, subject: Subject) -> str:
        return f"New candidates: {subject.market.title}"

    def subtitle(self, subject: Subject) -> str:
        return "Papers and works taken up as candidates to resolve this market."

    def items(self, subject: Subject) -> list[reader.Change]:
        return reader.candidate_changes(subject.market, FEED_LENGTH)


class ChangesFeed(_MarketFeed):
    def title(self, subject: Subject) -> str:
        return f"Verdicts and resolution: {subject.market.title}"

    def subtitle(self, subject: Subject) -> str:
        return "Each candidate's verdict when it changes, and every change of the resolution."

    def items(self, subject: Subject) -> list[reader.Change]:
        return reader.verdict_changes(subject.market, subject.viewer, FEED_LENGTH)
