"""`manage.py replicate SPEC [--out DIR] [--device cpu|cuda] [--enqueue]`.

SPEC is a spec file (an existing version with the same text, else the next version of the
spec keyed by its file name, keeping what that spec tests), a spec's id, its hash (or a
unique prefix of at least 8 hex digits), or its key (the latest version). Without
--enqueue the run happens here, in this process, through the same service path a worker
takes (claim, progress, result); with --enqueue it is sent to the 'gpu' queue for cuda and
'default' otherwise.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from replication import services
from replication.harness.spec import SPEC_SUFFIXES
from replication.models import ReplicationRun, ReplicationSpec
from tracker.queueing import QueueUnavailable

HEX = re.compile(r"^[0-9a-f]{8,64}$")


def resolve_spec(ref: str) -> ReplicationSpec:
    path = Path(ref)
    if path.suffix.lower() not in SPEC_SUFFIXES and path.is_file():
        raise CommandError(f"Unknown spec file suffix {path.suffix or '(none)'!r}: {path} "
                           "(a spec file is .toml or .json; its content is not sniffed).")
    if path.suffix.lower() in SPEC_SUFFIXES:
        if not path.is_file():
            raise CommandError(f"Spec file not found: {path}")
        text = path.read_text(encoding="utf-8")
        same = ReplicationSpec.objects.filter(text=text).order_by("-created_at", "-pk").first()
        if same is not None:
            return same
        key = slugify(path.stem.replace("_", "-")) or "spec"
        latest = ReplicationSpec.objects.filter(key=key).order_by("-version").first()
        try:
            if latest is None:
                return services.create_spec_version(key=key, text=text)
            # An edited copy of a known spec: the next version, still testing the same claims.
            return services.create_spec_version(
                key=key, text=text, title=latest.title, candidacy=latest.candidacy,
                claims=list(latest.claims.all()), note=latest.note,
                time_limit=latest.time_limit, soft_time_limit=latest.soft_time_limit,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
    if ref.isdigit():
        spec = ReplicationSpec.objects.filter(pk=int(ref)).first()
        if spec:
            return spec
    if HEX.match(ref):
        found = list(ReplicationSpec.objects.filter(spec_hash__startswith=ref)
                     .order_by("key", "-version"))
        if len({s.spec_hash for s in found}) > 1:
            raise CommandError(f"Hash prefix {ref} is ambiguous: give more digits.")
        if found:
            return found[0]
    spec = ReplicationSpec.objects.filter(key=ref).order_by("-version").first()
    if spec:
        return spec
    raise CommandError(f"No spec file, id, hash or key matches {ref!r}.")


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        parser.add_argument("spec", help="Spec file, id, hash (prefix) or key.")
        parser.add_argument("--out", help="Folder for results.json, summary.md and the plot "
                            "(default: var/replications/<run id>/).")
        parser.add_argument("--device", choices=["cpu", "cuda", "auto"],
                            help="Override the spec's device.")
        parser.add_argument("--enqueue", action="store_true",
                            help="Send the run to a worker instead of running it here.")

    def handle(self, *args, **options) -> None:
        spec = resolve_spec(options["spec"])
        self.stdout.write(f"Spec {spec} (task {spec.task}).")
        if options["enqueue"]:
            if options["out"]:
                raise CommandError("--out applies to in-process runs only; a worker writes "
                                   "under var/replications/<run id>/.")
            try:
                run = services.create_run(spec=spec, device=options["device"])
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
            try:
                services.dispatch_run(run_id=run.pk)
            except QueueUnavailable as exc:
                raise CommandError(
                    f"{exc}. Run {run.pk} is saved and stays queued; the reconciler "
                    "(in beat's process) sends it when the broker is back."
                ) from None
            self.stdout.write(self.style.SUCCESS(f"Run {run.pk} queued on '{run.queue}'."))
            return
        from replication.execution import execute_run

        try:
            run = services.create_run(spec=spec, device=options["device"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        out = Path(options["out"]).resolve() if options["out"] else None
        outcome = execute_run(run_id=run.pk, worker_host=f"{socket.gethostname()} (in-process)",
                              out_dir=out)
        run = ReplicationRun.objects.select_related("result").get(pk=run.pk)
        if outcome != "succeeded":
            raise CommandError(f"Run {run.pk} {run.status}: {run.error}")
        result = run.result
        self.stdout.write(self.style.SUCCESS(
            f"Run {run.pk} succeeded: verdict {result.verdict}; files in {result.artifact_dir}"
        ))
