"""The replication harness: plain Python + torch, no Django.

Entry points: :mod:`replication.harness.api` (``load_spec_file``, ``parse_spec``,
``run_spec``, ``spec_hash``) and ``python -m replication run SPEC --out DIR``. torch is
imported only inside the functions that train or encode, so importing ``spec``, ``stats`` or
``api`` stays light.
"""
