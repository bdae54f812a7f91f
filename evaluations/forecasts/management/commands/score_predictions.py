"""Re-score every prediction and print the leaderboard (text, or JSON like /api/forecasters/)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from evaluations.forecasts import queries
from evaluations.forecasts.services import do_rescore_all


class Command(BaseCommand):
    help = (
        "Re-score all predictions (delete and recreate their scores in one transaction), "
        "then print each forecaster's figures. --format json prints the same list as "
        "/api/forecasters/."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument(
            "--no-rescore", action="store_true", help="Print the stored scores as they are."
        )

    def handle(self, *args, **options) -> None:
        if not options["no_rescore"]:
            result = do_rescore_all()
            if options["format"] == "text":
                self.stdout.write(
                    f"Re-scored {result.predictions} predictions: {result.scored} resolved, "
                    f"{result.outcomes_from_markets} outcomes taken from markets."
                )
        rows = [queries.summary_dict(row)
                for row in queries.rows_of(queries.forecaster_rows())]
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, indent=2))
            return

        def show(value, digits):
            return "-" if value is None else f"{value:.{digits}f}"

        self.stdout.write(
            f"{'forecaster':<24} {'n':>4} {'shrunk':>8} {'brier':>8} {'log':>8} {'points':>8}"
        )
        for row in rows:
            self.stdout.write(
                f"{row['slug']:<24} {row['n_resolved']:>4} {show(row['shrunk_brier'], 4):>8} "
                f"{show(row['brier'], 4):>8} {show(row['log_score'], 3):>8} "
                f"{show(row['points'], 2):>8}"
            )
        self.stdout.write("Brier on the 0-1 scale (lower is better); points are not a proper rule.")
