from django.apps import AppConfig
from django.db.models.signals import post_migrate


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = "Adjudication"

    def ready(self) -> None:
        from evaluations.roles import ensure_role_groups

        # After this app's permissions exist (auth's handler is connected first).
        post_migrate.connect(ensure_role_groups, sender=self,
                             dispatch_uid="evaluations.ensure_role_groups")
