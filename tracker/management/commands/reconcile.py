"""`manage.py reconcile`: one pass of the reconciler (beat runs it on its own schedule)."""

import json

from django.core.management.base import BaseCommand

from tracker.reconcile import reconcile


class Command(BaseCommand):
    help = ("Re-queue or fail runs whose worker died, resend work whose message may be "
            "lost, re-score stale scores. Beat's process runs this every "
            "TRACKER_RECONCILE_SECONDS; this is one pass by hand.")

    def handle(self, *args, **options) -> None:
        self.stdout.write(json.dumps(reconcile(), default=str, sort_keys=True))
