"""`manage.py replicate SPEC [--out DIR] [--device cpu|cuda] [--enqueue]`,
`manage.py replicate --record KEY | --record-all [--stale-only]` and
`manage.py replicate --reproduce RUN [--enqueue]`.

SPEC is a spec file (an existing version with the same text, else the next version of the
spec keyed by its file name, keeping what that spec tests), a spec's id, its hash (or a
unique prefix of at least 8 hex digits), or its key (the latest version). Without
--enqueue the run happens here, in this process, through the same service path a worker
takes (claim, progress, result); with --enqueue it is sent to the 'gpu' queue for cuda and
'default' otherwise.

--record KEY runs the seeded spec KEY (seed/replication/specs.json) here on the current
commit and writes its record under seed/replication/records/KEY/ (results.json, summary,
plot, record.json; never checkpoints); --record-all records every seeded spec in turn, goes
on after a failure and ends by naming each one that failed (exit status 1). With
--stale-only it skips records that still match their spec, rule and harness, so an
interrupted unattended run can be restarted. --reproduce RUN re-runs RUN's spec version
and prints whether the new run agrees with it (same verdict, effect within its interval).
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
from tracker.seeding import SEED_DIR

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
        parser.add_argument("spec", nargs="?", help="Spec file, id, hash (prefix) or key.")
        parser.add_argument("--record", metavar="KEY",
                            help="Record seeded spec KEY under seed/replication/records/.")
        parser.add_argument("--record-all", action="store_true",
                            help="Record every seeded spec; go on after a failure.")
        parser.add_argument("--stale-only", action="store_true",
                            help="With --record-all: skip records that are still current.")
        parser.add_argument("--reproduce", metavar="RUN", type=int,
                            help="Re-run RUN's spec version and say whether it agrees.")
        parser.add_argument("--seed-dir", default=None, help="Seed folder (default: seed/).")
        parser.add_argument("--out", help="Folder for results.json, summary.md and the plot "
                            "(default: var/replications/<run id>/).")
        parser.add_argument("--device", choices=["cpu", "cuda", "auto"],
                            help="Override the spec's device.")
        parser.add_argument("--enqueue", action="store_true",
                            help="Send the run to a worker instead of running it here.")

    def handle(self, *args, **options) -> None:
        modes = [m for m in ("spec", "record", "record_all", "reproduce") if options[m]]
        if len(modes) != 1:
            raise CommandError("Give one of: a SPEC, --record KEY, --record-all, "
                               "--reproduce RUN.")
        if options["record"] or options["record_all"]:
            return self._record(options)
        if options["reproduce"]:
            return self._reproduce(options)
        spec = resolve_spec(options["spec"])
        self.stdout.write(f"Spec {spec} (task {spec.task}).")
        self._launch(services.create_run, options, spec=spec)

    def _launch(self, make_run, options, **kwargs) -> ReplicationRun:
        """Save a run with ``make_run(**kwargs, device=...)``, then send it to a worker
        (--enqueue) or run it here; returns the finished (or queued) run."""
        if options["enqueue"]:
            if options["out"]:
                raise CommandError("--out applies to in-process runs only; a worker writes "
                                   "under var/replications/<run id>/.")
            try:
                run = make_run(**kwargs, device=options["device"])
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
            return run
        from replication.execution import execute_run

        try:
            run = make_run(**kwargs, device=options["device"])
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
        return run

    def _reproduce(self, options) -> None:
        original = ReplicationRun.objects.select_related("spec").filter(
            pk=options["reproduce"]).first()
        if original is None:
            raise CommandError(f"No replication run {options['reproduce']}.")
        self.stdout.write(f"Reproducing run {original.pk} ({original.get_origin_display()}, "
                          f"spec {original.spec}).")
        run = self._launch(services.reproduce_run, options, run=original)
        agreement = ReplicationRun.objects.get(pk=run.pk).agreement
        if agreement is not None:
            self.stdout.write(agreement_line(agreement))

    def _record(self, options) -> None:
        from replication import recording, records

        seed_dir = Path(options["seed_dir"]) if options["seed_dir"] else SEED_DIR
        keys = list(recording.seeded_specs(seed_dir)) if options["record_all"] else [
            options["record"]]
        stale = recording.stale_records(seed_dir) if options["stale_only"] else {}
        present = records.record_folders(seed_dir, recording.FOLDER)
        failed: list[str] = []
        for key in keys:
            if options["stale_only"] and key in present and key not in stale:
                self.stdout.write(f"{key}: its record is current; skipped.")
                continue
            self.stdout.write(f"{key}: recording (load average {recording.load_average()})...")
            try:
                done = recording.record_spec(key=key, seed_dir=seed_dir, device=options["device"])
            except Exception as exc:  # --record-all goes on; the end says which failed
                failed.append(f"{key} ({type(exc).__name__}: {exc})")
                self.stderr.write(f"{key}: FAILED: {type(exc).__name__}: {exc}")
                continue
            self.stdout.write(self.style.SUCCESS(
                f"{key}: {done.verdict} in {done.wall_seconds:.0f} s (load average "
                f"{done.load_before} -> {done.load_after}); written to {done.folder}"))
        if failed:
            raise CommandError(f"{len(failed)} of {len(keys)} not recorded: {'; '.join(failed)}")


def agreement_line(a: dict) -> str:
    where = ("inside" if a["within_ci"] else "not comparable with" if a["within_ci"] is None
             else "outside")
    return (f"{'Agrees' if a['agrees'] else 'Does not agree'}: verdict {a['verdict']} (record "
            f"{a['record_verdict']}); effect {a['delta']} {where} the record's interval "
            f"{a['ci_low']} to {a['ci_high']}.")
