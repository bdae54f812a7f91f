"""Import published predictions from a CSV or JSON file, all or nothing (docs/IMPORT.md)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluations.forecasts.importing import ImportRejected, do_import_predictions, read_rows


class Command(BaseCommand):
    help = (
        "Import predictions from FILE (.csv with a header row, or .json). Every row is "
        "checked first; if any is bad nothing is imported and the problems are listed by "
        "row number (rows count from 1, not counting the CSV header). Columns: docs/IMPORT.md."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["csv", "json"], help="Default: by extension.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row and write nothing."
        )

    def handle(self, *args, **options) -> None:
        try:
            rows = read_rows(options["file"], options["format"])
            result = do_import_predictions(rows, dry_run=options["dry_run"])
        except ImportRejected as exc:
            raise CommandError(exc.report()) from None
        verb = "Would import" if options["dry_run"] else "Imported"
        sets = f"; new sets: {', '.join(result.sets_created)}" if result.sets_created else ""
        scored = "" if options["dry_run"] else f", {result.scored} scored"
        self.stdout.write(f"{verb} {result.predictions} predictions{scored}{sets}.")
