"""The login lockout (django-axes, ``AXES_HANDLER``): two limits, both over the failures
of the last ``AXES_COOLOFF_HOURS``, counted in the database so that every web process and
server sees the same counts.

- One user name from one address (``AXES_LOCKOUT_PARAMETERS``): ``AXES_FAILURE_LIMIT``
  failures lock that pair only. Failures from elsewhere never lock a user out from their
  own address, so knowing a user name is not enough to keep its owner out.
- One address, whatever the user names (``AXES_ADDRESS_FAILURE_LIMIT``): password spraying
  (a few guesses at each of many accounts) locks the address out.

The address is the client's, behind a trusted proxy too (``tracker.client_address``).
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class PairAndAddressLockout(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        """The pair's failures, or the failure limit itself once the address is over its
        own limit (axes locks out when this reaches ``AXES_FAILURE_LIMIT``)."""
        failures = super().get_failures(request, credentials)
        if address_failures(request) >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return max(failures, get_failure_limit(request, credentials))
        return failures


def address_failures(request) -> int:
    """Failed logins from the request's address within the cool-off, any user name."""
    attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
    if settings.AXES_COOLOFF_TIME is not None:  # as axes counts the pair's
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
