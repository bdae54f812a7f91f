"""The operators' console for replications: specs (versioned), runs (live progress, cancel,
re-queue, rendered results) and a "Replicate" action on candidacies, claims and specs.

Actions call services. When the broker cannot be reached, the run is saved and stays
queued, and the action says that the task queue cannot be reached.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from replication import conf, services, shipped
from replication.evidence import evidence_for_candidacy
from replication.models import ReplicationResult, ReplicationRun, ReplicationSpec
from tracker.models import Candidacy, Claim
from tracker.queueing import QueueUnavailable
from tracker.seeding import SEED_DIR

QUEUE_DOWN = "The task queue cannot be reached"


def replicate_specs(request: HttpRequest, specs: list[ReplicationSpec], *,
                    admin_site: admin.ModelAdmin) -> None:
    """Enqueue one run of each spec and tell the user what happened."""
    if not specs:
        admin_site.message_user(
            request, "No replication spec tests the selection: add one under Replication specs.",
            messages.WARNING,
        )
        return
    launch_runs(request, [(spec, None) for spec in specs], admin_site=admin_site)


def _run_link(run: ReplicationRun) -> str:
    return format_html('<a href="{}">run {}</a> of {} v{} on \'{}\' (<a href="{}">its page</a>)',
                       reverse("admin:replication_replicationrun_change", args=[run.pk]),
                       run.pk, run.spec.key, run.spec.version, run.queue,
                       run.get_absolute_url())


def launch_runs(request: HttpRequest, jobs: list[tuple[ReplicationSpec, ReplicationRun | None]],
                *, admin_site: admin.ModelAdmin) -> None:
    """Enqueue a run per (spec, run it reproduces or None); the message links to each run."""
    sent, stuck = [], []
    for spec, original in jobs:
        try:
            run = services.create_run(spec=spec, requested_by=request.user, reproduces=original)
        except ValidationError as exc:
            admin_site.message_user(request, f"{spec}: {'; '.join(exc.messages)}", messages.ERROR)
            continue
        try:
            services.dispatch_run(run_id=run.pk)
        except QueueUnavailable as exc:
            stuck.append((run.pk, exc))
            continue
        sent.append(_run_link(run))
    if sent:
        admin_site.message_user(request, format_html("Queued {}.", mark_safe(", ".join(sent))),
                                messages.SUCCESS)
    if stuck:
        ids = ", ".join(str(pk) for pk, _ in stuck)
        admin_site.message_user(
            request,
            f"{QUEUE_DOWN} ({stuck[0][1].__cause__ or stuck[0][1]}). Run(s) {ids} are saved "
            "and stay queued; they are sent when the broker is back.",
            messages.ERROR,
        )


# --- specs ------------------------------------------------------------------------------


class ReplicationSpecForm(forms.ModelForm):
    class Meta:
        model = ReplicationSpec
        fields = ["key", "title", "text", "time_limit", "soft_time_limit", "candidacy",
                  "claims", "note"]
        widgets = {"text": forms.Textarea(attrs={"rows": 24, "cols": 100,
                                                 "style": "font-family: monospace"})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_limit"].required = False
        self.fields["soft_time_limit"].required = False
        self.fields["time_limit"].help_text += f" Default {conf.default_time_limit()}."
        self.fields["soft_time_limit"].help_text += f" Default {conf.default_soft_time_limit()}."
        if self.instance.pk:
            self.fields["key"].disabled = True
            self.fields["text"].help_text = (
                "Editing the text, limits or candidacy saves a new version; this one stays "
                "as it is, with its runs."
            )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        services.parse_spec_text(text=text)  # raises ValidationError naming the spec field
        return text

    def clean(self) -> dict[str, Any]:
        super().clean()  # ModelForm.clean returns self.cleaned_data
        data = self.cleaned_data
        time_limit = data.get("time_limit") or conf.default_time_limit()
        soft = data.get("soft_time_limit") or min(conf.default_soft_time_limit(), time_limit - 1)
        services.check_time_limits(time_limit=time_limit, soft_time_limit=soft)
        candidacy = data.get("candidacy")
        for claim in data.get("claims") or []:
            if candidacy is None or claim.candidacy_id != candidacy.pk:
                raise ValidationError({"claims": f"Claim {claim} is not a claim of the candidacy."})
        return data

    def _post_clean(self) -> None:
        # A saved version is frozen: the admin saves edits through create_spec_version,
        # which makes the next version, so the instance is not validated in place.
        pass


class ShippedSpecForm(forms.Form):
    spec = forms.ChoiceField(label="Shipped spec", widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["spec"]).choices = shipped.choices(SEED_DIR)


@admin.register(ReplicationSpec)
class ReplicationSpecAdmin(admin.ModelAdmin):
    form = ReplicationSpecForm
    change_list_template = "replication/admin/spec_change_list.html"

    def get_urls(self):
        own = [path("replicate-shipped/", self.admin_site.admin_view(self.replicate_shipped),
                    name="replication_replicate_shipped")]
        return own + super().get_urls()

    def replicate_shipped(self, request: HttpRequest):
        """Run any shipped spec (seeded or replication/specs/) on a worker, chosen by name."""
        if not self.has_view_permission(request) or not request.user.has_perm(
                "replication.add_replicationrun"):
            raise PermissionDenied
        form = ShippedSpecForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                spec = shipped.spec_for(form.cleaned_data["spec"], SEED_DIR)
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            else:
                launch_runs(request, [(spec, None)], admin_site=self)
                return HttpResponseRedirect(reverse("admin:replication_replicationrun_changelist"))
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
                   "title": "Replicate a shipped spec"}
        return TemplateResponse(request, "replication/admin/replicate_shipped.html", context)
    list_display = ("key", "version", "title", "task", "device", "short_hash", "candidacy",
                    "created_at")
    list_filter = ("task", "device")
    search_fields = ("key", "title", "spec_hash", "note", "candidacy__paper__title")
    list_select_related = ("candidacy__paper", "candidacy__market")
    autocomplete_fields = ("candidacy",)
    filter_horizontal = ("claims",)
    readonly_fields = ("version", "spec_hash", "task", "device", "format", "previous",
                       "created_by", "created_at")
    actions = ["replicate"]

    @admin.display(description="hash")
    def short_hash(self, spec: ReplicationSpec) -> str:
        return spec.spec_hash[:12]

    @admin.action(description="Replicate: run the selected specs on a worker")
    def replicate(self, request: HttpRequest, queryset: QuerySet) -> None:
        replicate_specs(request, list(queryset), admin_site=self)

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # runs hold evidence: specs are not bulk-deleted
        return actions

    def save_model(self, request: HttpRequest, obj: ReplicationSpec, form, change: bool) -> None:
        data = form.cleaned_data
        try:
            spec = services.create_spec_version(
                key=data.get("key") or obj.key, text=data["text"], title=data.get("title", ""),
                candidacy=data.get("candidacy"), claims=data.get("claims") or [],
                note=data.get("note", ""), time_limit=data.get("time_limit"),
                soft_time_limit=data.get("soft_time_limit"), created_by=request.user,
            )
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
        request._replication_saved_spec = spec  # type: ignore[attr-defined]
        if change and spec.pk != obj.pk:
            self.message_user(request, f"Saved as a new version: {spec}.", messages.INFO)
        for field in ReplicationSpec._meta.concrete_fields:
            setattr(obj, field.attname, getattr(spec, field.attname))
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        pass  # create_spec_version set the claims

    def response_change(self, request: HttpRequest, obj: ReplicationSpec):
        spec = getattr(request, "_replication_saved_spec", None)
        if spec is not None and "_continue" in request.POST:
            return HttpResponseRedirect(
                reverse("admin:replication_replicationspec_change", args=[spec.pk])
            )
        return super().response_change(request, obj)


# --- runs -------------------------------------------------------------------------------


class ReplicationResultInline(admin.StackedInline):
    model = ReplicationResult
    fields = ("verdict", "spec_hash", "attempt", "artifact_dir", "artifacts", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReplicationRun)
class ReplicationRunAdmin(admin.ModelAdmin):
    change_list_template = "replication/admin/run_change_list.html"
    list_display = ("id", "spec", "status", "progress_bar", "progress_message", "verdict_badge",
                    "origin", "queue", "worker_host", "attempts", "heartbeat_age", "queued_at")
    list_filter = ("status", "origin", "queue", "spec__task")
    search_fields = ("spec__key", "spec__spec_hash", "worker_host", "error")
    list_select_related = ("spec", "result")
    actions = ["cancel", "requeue", "replicate_again", "reproduce"]
    readonly_fields = (
        "spec", "status", "queue", "device", "device_used", "worker_host", "task_id", "attempts",
        "progress", "progress_message", "heartbeat_at", "queued_at", "dispatched_at",
        "dispatch_error", "started_at", "finished_at", "error", "traceback", "history",
        "requested_by", "rendered_results", "rendered_evidence", "origin", "submitted_by",
        "provenance", "reproduces",
    )
    fieldsets = (
        (None, {"fields": ("spec", "status", "progress", "progress_message", "error")}),
        ("Origin", {"fields": ("origin", "submitted_by", "reproduces", "provenance")}),
        ("Results", {"fields": ("rendered_results",)}),
        ("Evidence for the candidacy's criteria", {"fields": ("rendered_evidence",)}),
        ("Worker", {"fields": ("queue", "device", "device_used", "worker_host", "task_id",
                               "attempts", "heartbeat_at", "queued_at", "dispatched_at",
                               "dispatch_error", "started_at", "finished_at", "requested_by")}),
        ("Diagnostics", {"classes": ("collapse",), "fields": ("traceback", "history")}),
    )
    inlines = [ReplicationResultInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # runs are launched with the Replicate action

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def changelist_view(self, request: HttpRequest, extra_context=None):
        live = ReplicationRun.objects.filter(
            status__in=[ReplicationRun.Status.QUEUED, ReplicationRun.Status.RUNNING]
        ).exists()
        return super().changelist_view(request, {**(extra_context or {}), "replication_live": live})

    @admin.display(description="progress")
    def progress_bar(self, run: ReplicationRun) -> str:
        return format_html(
            '<progress max="100" value="{}" title="{}%"></progress> {}%',
            run.progress, run.progress, run.progress,
        )

    @admin.display(description="verdict")
    def verdict_badge(self, run: ReplicationRun) -> str:
        return run.verdict or "–"

    @admin.display(description="heartbeat")
    def heartbeat_age(self, run: ReplicationRun) -> str:
        if run.heartbeat_at is None or run.status != ReplicationRun.Status.RUNNING:
            return "–"
        return f"{(timezone.now() - run.heartbeat_at).total_seconds():.0f} s ago"

    @admin.display(description="results")
    def rendered_results(self, run: ReplicationRun) -> str:
        return mark_safe(render_to_string(
            "replication/_results.html", {"run": run, "result": run.result_or_none}
        ))

    @admin.display(description="evidence")
    def rendered_evidence(self, run: ReplicationRun) -> str:
        candidacy = run.spec.candidacy
        if candidacy is None:
            return f"The spec is not linked to a candidacy. {run.spec.note}"
        return mark_safe(render_to_string(
            "replication/_evidence.html", {"evidence": evidence_for_candidacy(candidacy.pk)}
        ))

    @admin.action(description="Cancel the selected runs")
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = [run.pk for run in queryset if services.cancel_run(run_id=run.pk, by=request.user)]
        self.message_user(request, f"Cancelled {len(done)} run(s)." if done else
                          "Nothing to cancel: only queued or running runs can be.",
                          messages.SUCCESS if done else messages.WARNING)

    @admin.action(description="Re-queue the selected failed or cancelled runs")
    def requeue(self, request: HttpRequest, queryset: QuerySet) -> None:
        done, stuck = [], []
        for run in queryset:
            # Sent as it commits (no transaction here); a failed send is on the row.
            if not services.requeue_run(run_id=run.pk, by=request.user):
                continue
            error = ReplicationRun.objects.filter(pk=run.pk, dispatched_at=None).values_list(
                "dispatch_error", flat=True).first()
            if error:
                stuck.append((run.pk, error))
            else:
                done.append(run.pk)
        if done:
            self.message_user(request, f"Re-queued run(s) {', '.join(map(str, done))}.",
                              messages.SUCCESS)
        if stuck:
            self.message_user(
                request,
                f"{QUEUE_DOWN} ({stuck[0][1]}). Run(s) "
                f"{', '.join(str(pk) for pk, _ in stuck)} are queued and are sent when the "
                "broker is back.", messages.ERROR,
            )
        if not done and not stuck:
            self.message_user(request, "Only failed or cancelled runs can be re-queued.",
                              messages.WARNING)

    @admin.action(description="Reproduce: re-run the same spec version and compare with it")
    def reproduce(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = [run for run in queryset.select_related("spec")
                if run.status == ReplicationRun.Status.SUCCEEDED]
        if not done:
            self.message_user(request, "Only succeeded runs (with a result) can be reproduced.",
                              messages.WARNING)
            return
        launch_runs(request, [(run.spec, run) for run in done], admin_site=self)

    @admin.action(description="Replicate again: a new run of the same spec")
    def replicate_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        specs = {run.spec_id: run.spec for run in queryset.select_related("spec")}
        replicate_specs(request, list(specs.values()), admin_site=self)


# --- "Replicate" on the catalogue's candidacies and claims ----------------------------------


@admin.action(description="Replicate: run the specs that test the selected candidacies")
def replicate_candidacies(modeladmin, request: HttpRequest, queryset: QuerySet) -> None:
    replicate_specs(request, services.latest_specs_for(candidacies=queryset),
                    admin_site=modeladmin)


@admin.action(description="Replicate: run the specs that test the selected claims")
def replicate_claims(modeladmin, request: HttpRequest, queryset: QuerySet) -> None:
    replicate_specs(request, services.latest_specs_for(claims=queryset), admin_site=modeladmin)


def _add_action(model, action) -> None:
    """Add an action to the ModelAdmin another app registered (tracker owns these admins)."""
    model_admin = admin.site._registry.get(model)
    if model_admin is None:
        return
    current = list(model_admin.actions or [])
    if action not in current:
        model_admin.actions = [*current, action]


_add_action(Candidacy, replicate_candidacies)
_add_action(Claim, replicate_claims)
