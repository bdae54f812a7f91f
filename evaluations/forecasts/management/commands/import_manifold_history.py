"""Import a Manifold market's probability history (docs/IMPORT.md)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from evaluations.forecasts.manifold import (
    PAGE_SIZE,
    ManifoldClient,
    ManifoldError,
    do_import_manifold_history,
    do_record_snapshot,
)
from tracker.models import Market


class Command(BaseCommand):
    help = (
        "Fetch a Manifold market and all its bets from Manifold's public API and store the "
        "probability after each bet. Optionally record the price on one day as a crowd "
        "prediction. The API base URL is MANIFOLD_API_URL."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("manifold_id", help="The market's id on Manifold.")
        parser.add_argument("--market", help="Slug of the tracker market it is.")
        parser.add_argument("--api-url", help="Overrides MANIFOLD_API_URL for this run.")
        parser.add_argument("--snapshot-on", type=dt.date.fromisoformat,
                            help="YYYY-MM-DD: record the price at the end of this day (UTC).")
        parser.add_argument("--set", dest="set_slug", help="Prediction set for the snapshot.")
        parser.add_argument("--forecaster", default="manifold-crowd")
        parser.add_argument("--page-size", type=int, default=PAGE_SIZE,
                            help=f"Bets per request (at most {PAGE_SIZE}).")

    def handle(self, *args, **options) -> None:
        market = None
        if options["market"]:
            market = Market.objects.filter(slug=options["market"]).first()
            if market is None:
                raise CommandError(f"Unknown market {options['market']!r}.")
        if not 1 <= options["page_size"] <= PAGE_SIZE:
            raise CommandError(f"--page-size must be between 1 and {PAGE_SIZE}.")
        if options["snapshot_on"] and not options["set_slug"]:
            raise CommandError("--snapshot-on needs --set.")
        try:
            result = do_import_manifold_history(
                manifold_id=options["manifold_id"], market=market,
                client=ManifoldClient(options["api_url"]), page_size=options["page_size"],
            )
            self.stdout.write(
                f"{result.manifold_market.question}: {result.fetched_points} bets with a "
                f"probability, {result.new_points} new."
            )
            if options["snapshot_on"]:
                prediction = do_record_snapshot(
                    manifold_market=result.manifold_market, day=options["snapshot_on"],
                    set_slug=options["set_slug"], forecaster_slug=options["forecaster"],
                )
                self.stdout.write(
                    f"Recorded {prediction.probability:.3f} on {options['snapshot_on']} "
                    f"in {options['set_slug']!r}."
                )
        except ManifoldError as exc:
            raise CommandError(str(exc)) from None
