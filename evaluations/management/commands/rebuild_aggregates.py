"""Recompute every stored aggregate from its inputs: each market's agreement and each
forecaster's figures. Run after bulk loads that bypass the services, or to repair."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import transaction

from evaluations.aggregates import rebuild_agreements
from evaluations.forecasts.queries import store_stats


class Command(BaseCommand):
    help = (
        "Recompute the stored aggregates (market agreement, forecaster leaderboard rows "
        "and calibration bins) from the assessments and scores."
    )

    def handle(self, *args, **options) -> None:
        start = time.perf_counter()
        with transaction.atomic():
            markets = rebuild_agreements()
        with transaction.atomic():
            forecasters = store_stats(None)
        self.stdout.write(
            f"Rebuilt the agreement of {markets} market(s) and the figures of "
            f"{forecasters} forecaster(s) in {time.perf_counter() - start:.1f} s."
        )
