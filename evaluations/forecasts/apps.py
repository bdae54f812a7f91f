from django.apps import AppConfig


class ForecastsConfig(AppConfig):
    name = "evaluations.forecasts"
    label = "forecasts"
    verbose_name = "Forecasts"

    def ready(self) -> None:
        # The tasks register by name in every process (web too), so the resolution
        # service's send_on_commit("forecasts.rescore_market") finds them.
        from evaluations.forecasts import tasks  # noqa: F401
