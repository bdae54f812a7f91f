from django.core.management.base import BaseCommand, CommandError

from tracker.seeding import SEED_DIR, SeedError, load_all


class Command(BaseCommand):
    help = "Load the shipped seed data (idempotent: running it twice changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--seed-dir", default=str(SEED_DIR), help="Folder of fixtures.")

    def handle(self, *args, seed_dir: str, **options):
        from pathlib import Path

        try:
            loaded = load_all(Path(seed_dir))
        except SeedError as exc:
            raise CommandError(f"Seed not loaded (nothing was written): {exc}") from None
        self.stdout.write(self.style.SUCCESS(f"Seed loaded: {', '.join(loaded)}"))
