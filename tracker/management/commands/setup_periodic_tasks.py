import json

from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from tracker.seeding import app_modules


def _declared_tasks():
    for _label, module in app_modules("schedule"):
        yield from module.PERIODIC_TASKS


class Command(BaseCommand):
    help = (
        "Create the beat entries declared by the apps (idempotent). They are stored by "
        "django-celery-beat and stay editable in the admin: an existing entry keeps its "
        "schedule and enabled flag."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        created = 0
        for name, task, every_seconds, kwargs, *queue in _declared_tasks():
            interval, _ = IntervalSchedule.objects.get_or_create(
                every=every_seconds, period=IntervalSchedule.SECONDS
            )
            _, was_created = PeriodicTask.objects.get_or_create(
                name=name,
                defaults={"task": task, "interval": interval, "kwargs": json.dumps(kwargs),
                          "queue": queue[0] if queue else None},
            )
            created += was_created
        self.stdout.write(self.style.SUCCESS(f"Periodic tasks: {created} created."))
