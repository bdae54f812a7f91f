"""``python -m replication run SPEC --out DIR``: the harness alone, without Django."""

from replication.harness.cli import main

raise SystemExit(main())
