from django.apps import AppConfig


class ForecastsConfig(AppConfig):
    name = "evaluations.forecasts"
    label = "forecasts"
    verbose_name = "Forecasts"

    def ready(self) -> None:
        # Receivers connect on import; the tasks register by name in every process (web
        # too), so the resolution service's signature("forecasts.rescore_market") finds them.
        from evaluations.forecasts import signals, tasks  # noqa: F401
