"""The project's URLs plus `/bench/reference/`, the benchmark's reference page: one query
(the workers' heartbeats) rendered through the site's base template, as `/health/` was
when issue 13 measured against it. Served only by benchmarks/pages.py (through
benchmarks/bench_settings.py), never by the project."""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path
from django.views.decorators.cache import never_cache

from tracker.models import WorkerHeartbeat
from tracker.urls import handler404, handler500
from tracker.urls import urlpatterns as project_patterns

REFERENCE = engines["django"].from_string("""{% extends "base.html" %}
{% block title %}Reference{% endblock %}
{% block content %}
<h1>Workers</h1>
<table>
  <thead><tr><th>Worker</th><th>Last seen</th><th>Heartbeats</th></tr></thead>
  <tbody>
  {% for beat in beats %}<tr><td>{{ beat.hostname }}</td><td>{{ beat.seen_at }}</td>
  <td>{{ beat.beats }}</td></tr>
  {% empty %}<tr><td colspan="3">No worker has reported yet.</td></tr>{% endfor %}
  </tbody>
</table>
{% endblock %}""")


@never_cache
def reference(request: HttpRequest) -> HttpResponse:
    beats = list(WorkerHeartbeat.objects.all()[:20])  # the page's one query
    return HttpResponse(REFERENCE.render({"beats": beats}, request))


urlpatterns = [path("bench/reference/", reference, name="bench-reference"), *project_patterns]

__all__ = ["handler404", "handler500", "urlpatterns"]
