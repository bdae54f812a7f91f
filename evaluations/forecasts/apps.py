from django.apps import AppConfig


class ForecastsConfig(AppConfig):
    name = "evaluations.forecasts"
    label = "forecasts"
    verbose_name = "Forecasts"

    def ready(self) -> None:
        from evaluations.forecasts import signals  # noqa: F401  (connects receivers)
