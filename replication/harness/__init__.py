"""The replication harness: plain Python + torch, no Django.

Entry points: :mod:`replication.harness.api` (``load_spec_file``, ``parse_spec``,
``run_spec``, ``spec_hash``) and ``python -m replication run SPEC --out DIR``. torch is
imported only inside the functions that train or encode, so importing ``spec``, ``stats`` or
``api`` stays light.
"""

#: The harness's version, written into every results.json's provenance. Bump it when a change
#: alters what a result means beyond the verdict rule (whose own version is
#: ``stats.RULE_VERSION``): a task's metrics, its methods, the SAE training or its gate.
#: Recorded results of another version are not imported (``replication.recorded``).
HARNESS_VERSION = "1"
