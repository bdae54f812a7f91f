"""Recompute the stored price series (tracker.PriceBin) from the quotes and trades.

The triggers (tracker/price_bins.py) keep it in step with every write; this is for a
database restored without them, or to check: `--check` says whether the stored bins equal
the recomputed ones, and changes nothing.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = "Recompute the probability chart's stored bins from the quotes and trades."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true",
                            help="compare with a recomputation and change nothing")

    def handle(self, *args, check=False, **options):
        from tracker import price_bins
        from tracker.models import PriceBin

        def rows():
            return sorted(PriceBin.objects.values_list(
                "market_id", "series", "unit", "start", "count", "low", "high", "first_on",
                "last_on"))

        if check:
            before = rows()
            with transaction.atomic():
                price_bins.rebuild()
                after = rows()
                transaction.set_rollback(True)
            if before != after:
                raise CommandError(f"The stored price series differs from the quotes and "
                                   f"trades ({len(before)} bins stored, {len(after)} computed).")
            self.stdout.write(f"The stored price series is in step ({len(after)} bins).")
            return
        count = price_bins.rebuild()
        self.stdout.write(f"Rebuilt the stored price series: {count} bins.")
