"""Replication specs (frozen, versioned), runs on Celery workers, and their one result.

Invariants held by the database:

- a spec version never changes once saved (``ReplicationSpec.save`` refuses), and its
  (key, version) pair is unique: editing a spec makes the next version;
- a run has at most one result (``ReplicationResult.run`` is one-to-one), so a task
  delivered twice can never leave two result rows;
- progress stays within 0-100 and a finished run has an end time.

Nothing here imports the harness: the web process loads this module.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from replication import results as results_view
from tracker.models import Candidacy, Claim


def is_cuda(device: str) -> bool:
    return device == "cuda" or device.startswith("cuda:")


class ReplicationSpec(models.Model):
    """One frozen version of a replication spec: its text, its hash and what it tests."""

    class Format(models.TextChoices):
        TOML = "toml", "TOML"
        JSON = "json", "JSON"

    key = models.SlugField(
        max_length=100,
        help_text="Names the spec across its versions, e.g. 'sparse-probing-kantamneni'.",
    )
    version = models.PositiveIntegerField(
        default=1, help_text="1 for the first text; every edit saves the next version."
    )
    title = models.CharField(max_length=200, blank=True)
    text = models.TextField(
        help_text="The spec as written (TOML or JSON), frozen: the harness runs exactly this."
    )
    format = models.CharField(max_length=4, choices=Format.choices, default=Format.TOML)
    spec_hash = models.CharField(
        max_length=64, db_index=True,
        help_text="SHA-256 of the resolved spec (defaults filled in), as the harness "
        "computes it; every result names the hash that produced it.",
    )
    task = models.CharField(max_length=50, help_text="The harness task the spec runs.")
    device = models.CharField(
        max_length=20, default="auto",
        help_text="The device the spec asks for; cuda specs go to the 'gpu' queue.",
    )
    time_limit = models.PositiveIntegerField(
        help_text="Hard time limit in seconds: the worker kills the task after this."
    )
    soft_time_limit = models.PositiveIntegerField(
        help_text="Soft time limit in seconds: the run fails cleanly after this."
    )
    candidacy = models.ForeignKey(
        Candidacy, on_delete=models.PROTECT, null=True, blank=True,
        related_name="replication_specs",
        help_text="The candidacy whose claims the spec tests; its results become evidence there.",
    )
    claims = models.ManyToManyField(
        Claim, blank=True, related_name="replication_specs",
        help_text="The claims of the candidacy that the spec tests.",
    )
    note = models.TextField(
        blank=True,
        help_text="What the spec bears on when it has no candidacy (e.g. a forecast), and "
        "how it differs from the paper's own setup.",
    )
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_version",
        help_text="The version this one replaces.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    #: Fields that define what runs: never changed once saved.
    FROZEN_FIELDS = ("key", "version", "text", "format", "spec_hash", "task", "device",
                     "time_limit", "soft_time_limit", "candidacy_id")

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "version"], name="replication_spec_version_once"
            ),
            models.CheckConstraint(
                condition=Q(soft_time_limit__lt=models.F("time_limit")),
                name="replication_spec_soft_limit_below_hard",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version} ({self.spec_hash[:10]})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            stored = (
                type(self).objects.filter(pk=self.pk).values(*self.FROZEN_FIELDS).first()
            )
            if stored is not None:
                changed = [f for f in self.FROZEN_FIELDS if stored[f] != getattr(self, f)]
                if changed:
                    raise ValidationError(
                        f"Spec {self.key} v{self.version} is frozen ({', '.join(changed)} "
                        "changed): save the edit as a new version."
                    )
        super().save(*args, **kwargs)

    @property
    def queue(self) -> str:
        return "gpu" if is_cuda(self.device) else "default"

    @property
    def is_latest(self) -> bool:
        return not type(self).objects.filter(previous=self).exists()


class ReplicationRun(models.Model):
    """One execution of a spec on a worker (or in-process from `manage.py replicate`)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    class Origin(models.TextChoices):
        HERE = "here", "Run here"
        RECORDED = "recorded", "Recorded elsewhere"
        IMPORTED = "imported", "Imported"

    spec = models.ForeignKey(ReplicationSpec, on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    queue = models.CharField(max_length=50, default="default", help_text="Celery queue.")
    device = models.CharField(
        max_length=20, default="auto",
        help_text="The device asked for (the spec's, or an override when launched).",
    )
    device_used = models.CharField(
        max_length=200, blank=True, help_text="The device the harness resolved and ran on."
    )
    worker_host = models.CharField(max_length=200, blank=True)
    task_id = models.CharField(max_length=64, blank=True, help_text="Last Celery task id sent.")
    attempts = models.PositiveIntegerField(
        default=0, help_text="How many times a worker claimed the run; also its fencing token."
    )
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    progress_message = models.CharField(max_length=300, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When the broker accepted the task; empty if it never did."
    )
    dispatch_error = models.TextField(blank=True, help_text="Why the broker refused the task.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="Why the run failed or was cancelled.")
    traceback = models.TextField(blank=True)
    history = models.JSONField(
        default=list, blank=True, help_text="Claims, failures and re-queues, oldest first."
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    origin = models.CharField(
        max_length=10, choices=Origin.choices, default=Origin.HERE, db_index=True,
        help_text="Run here by this deployment's harness, recorded elsewhere and shipped "
        "with the seed, or imported from a result computed on another machine.",
    )
    provenance = models.JSONField(
        default=dict, blank=True,
        help_text="Code commit, spec hash, rule and harness versions, device, machine, wall "
        "time and date of the harness run that produced the result.",
    )
    submitted_by = models.CharField(
        max_length=200, blank=True, help_text="Who submitted an imported or recorded result."
    )
    source_digest = models.CharField(
        max_length=64, null=True, blank=True, unique=True,
        help_text="SHA-256 of a recorded or imported results.json: loading it twice is a "
        "no-op, never a second run.",
    )
    reproduces = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reproductions",
        help_text="The run (usually a record) this run re-runs, same spec version.",
    )

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="replication_run_liveness")]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="replication_run_progress_max"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["succeeded", "failed", "cancelled"])
                | Q(finished_at__isnull=False),
                name="replication_run_finished_has_end",
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} of {self.spec} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("replication:run", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def is_external(self) -> bool:
        """Computed on another machine (a shipped record or an import), not run here."""
        return self.origin != self.Origin.HERE

    @property
    def candidacy(self) -> Candidacy | None:
        return self.spec.candidacy

    @property
    def result_or_none(self) -> ReplicationResult | None:
        try:
            return self.result
        except ReplicationResult.DoesNotExist:
            return None

    @property
    def verdict(self) -> str:
        result = self.result_or_none
        return result.verdict if result else ""

    @property
    def agreement(self) -> dict | None:
        """A reproduction's agreement with the run it reproduces (replication.records):
        None until both have results."""
        from replication.records import agreement

        original = self.reproduces.result_or_none if self.reproduces is not None else None
        result = self.result_or_none
        if original is None or result is None:
            return None
        return agreement(original.results, result.results)


class ReplicationResult(models.Model):
    """What a succeeded run produced: results.json as data, and where its files lie."""

    run = models.OneToOneField(ReplicationRun, on_delete=models.CASCADE, related_name="result")
    spec_hash = models.CharField(max_length=64, help_text="The hash that produced the result.")
    verdict = models.CharField(
        max_length=20,
        help_text="beats, equivalent, loses, inconclusive, or invalid (the SAE failed the "
        "spec's quality gate; results.verdict_reason says why).",
    )
    results = models.JSONField(help_text="results.json as the harness wrote it.")
    artifact_dir = models.CharField(max_length=500, help_text="Folder of the run's files.")
    artifacts = models.JSONField(
        default=list, blank=True, help_text="File names inside the folder (results.json first)."
    )
    attempt = models.PositiveIntegerField(help_text="The claim that produced it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Result of run {self.run_id}: {self.verdict}"

    # Read-only views of results.json for templates (pure helpers in replication.results).
    @property
    def overall(self) -> dict:
        return results_view.overall(self.results)

    @property
    def dataset_rows(self) -> list[dict]:
        return results_view.dataset_rows(self.results)

    @property
    def seeds(self) -> dict:
        return results_view.seeds(self.results)

    @property
    def controls(self) -> list[dict]:
        return results_view.controls(self.results)

    @property
    def win_tie_loss(self) -> dict:
        return results_view.win_tie_loss(self.results)

    @property
    def compute(self) -> dict:
        return results_view.compute(self.results)

    @property
    def metric(self) -> str:
        return str(self.results.get("metric", ""))


from replication import checks as _checks  # noqa: E402,F401 - registers the system checks
