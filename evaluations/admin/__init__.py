"""The adjudicators' and resolvers' console, one module per workflow: scoring (the queue
and the scoring sheet), assessments, conflicts, resolution, and roles on user accounts.

Every write goes through `evaluations.services`, so the admin enforces the same rules as
the code: own assessments only, conflicts of interest, blind review, stale forms refused.
Logged-in users outside the roles get 403 here (not the admin's login page).
"""

from evaluations.admin import assessments, conflicts, resolution, roles, scoring  # noqa: F401
