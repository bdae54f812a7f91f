from django.apps import AppConfig


class ForecastsConfig(AppConfig):
    name = "evaluations.forecasts"
    label = "forecasts"
    verbose_name = "Forecasts"
