"""The specs that ship with the code: the seeded ones (``seed/replication/specs.json``, each
testing its candidacy's claims) and the example and CI specs in ``replication/specs/``.

The admin's "Replicate a shipped spec" offers them by name, so no operator pastes TOML: the
choice becomes the spec's current version (a new version when the file changed).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from replication.models import ReplicationSpec

SPECS_DIR = Path(settings.BASE_DIR) / "replication" / "specs"
SEED, FILE = "seed:", "file:"


def choices(seed_dir: Path, specs_dir: Path = SPECS_DIR) -> list[tuple[str, str]]:
    """(value, label) for every shipped spec: seeded ones first, in the seed's order."""
    from replication.recording import seeded_specs

    found = [(f"{SEED}{key}", f"{entry.get('title') or key} (seeded: {key})")
             for key, entry in seeded_specs(seed_dir).items()]
    found += [(f"{FILE}{path.name}", f"{path.name} (replication/specs/)")
              for path in sorted(specs_dir.glob("*.toml"))]
    return found


def spec_for(choice: str, seed_dir: Path, specs_dir: Path = SPECS_DIR) -> ReplicationSpec:
    """The current version of the chosen shipped spec; ValidationError for anything else."""
    from replication import seed
    from replication.services import create_spec_version
    from tracker.seeding import SeedError

    if choice.startswith(SEED):
        try:
            return seed.seeded_spec(seed_dir, choice.removeprefix(SEED))
        except SeedError as exc:
            raise ValidationError(str(exc)) from None
    names = {p.name for p in specs_dir.glob("*.toml")}
    name = choice.removeprefix(FILE)
    if not choice.startswith(FILE) or name not in names:
        raise ValidationError(f"{choice!r} is not a shipped spec.")
    key = slugify(Path(name).stem.replace("_", "-"))
    latest = ReplicationSpec.objects.filter(key=key).order_by("-version").first()
    return create_spec_version(
        key=key, text=(specs_dir / name).read_text(encoding="utf-8"),
        title=latest.title if latest else "", note=latest.note if latest else "",
        candidacy=latest.candidacy if latest else None,
        claims=list(latest.claims.all()) if latest else [],
        time_limit=latest.time_limit if latest else None,
        soft_time_limit=latest.soft_time_limit if latest else None,
    )
