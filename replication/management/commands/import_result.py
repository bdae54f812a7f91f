"""`manage.py import_result DIR --submitted-by NAME`: import a result computed elsewhere.

DIR is a harness output folder (``python -m replication run SPEC --out DIR`` on any
machine): results.json, and summary.md and deltas.png when present; checkpoints are ignored.
The result is refused, with its reason and nothing written, when results.json is missing or
malformed, its spec block does not hash to its spec_hash (edited by hand), no spec here has
that hash, its verdict rule or harness version is not this code's, or it was imported
before. An imported run's page says who submitted it and whether it was reproduced here.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from replication.recorded import ImportRefused, import_result


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder", help="The harness output folder (holds results.json).")
        parser.add_argument("--submitted-by", required=True,
                            help="Who computed the result (a person or lab), shown on its page.")

    def handle(self, *args, folder: str, submitted_by: str, **options) -> None:
        try:
            run = import_result(folder=Path(folder), submitted_by=submitted_by)
        except ImportRefused as exc:
            raise CommandError(f"Not imported ({exc.kind}): {exc.message}") from None
        self.stdout.write(self.style.SUCCESS(
            f"Imported as run {run.pk} of {run.spec}: verdict {run.verdict}; page "
            f"{run.get_absolute_url()}. Reproduce it here: "
            f"python manage.py replicate --reproduce {run.pk}"))
