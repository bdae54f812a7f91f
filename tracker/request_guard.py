"""Requests refused before any view reads them: a NUL character in the query string.

No text column can hold one (PostgreSQL refuses it with a DataError, a 500 at the first
search), and no page or API parameter has a use for one, so every search box, filter and
API parameter gets the same clean 400 here instead of each view guarding its own.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

NUL_MESSAGE = "The query string contains a NUL character (%00), which no parameter accepts."


class RefuseNulInQuery:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in key or "\x00" in value
               for key, values in request.GET.lists() for value in values):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": NUL_MESSAGE}, status=400)
            from tracker.views import bad_request

            return bad_request(request, message=NUL_MESSAGE)
        return self.get_response(request)
