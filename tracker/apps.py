from pathlib import Path

from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Catalogue"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from tracker import shared_cache  # noqa: F401  (registers its deploy check)

        make_var_dirs()
        # After every migrate (and the tests' flushes): a table a migration added gets the
        # content-version triggers too.
        post_migrate.connect(install_content_triggers, sender=self)


def install_content_triggers(using: str = "default", **kwargs) -> None:
    from tracker import content_version, price_bins

    content_version.install_triggers(using=using)
    price_bins.install_triggers(using=using)


def make_var_dirs() -> None:
    """The folders the embedded defaults write to, made at start-up (django.setup(), which
    the web server, the workers, beat and manage.py all run) rather than when settings are
    imported: VAR_DIR for SQLite, STATIC_ROOT, and the filesystem broker's folders."""
    from django.conf import settings

    folders = [Path(settings.VAR_DIR), Path(settings.STATIC_ROOT)]
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
    folders += [Path(options[key]) for key in ("data_folder_in", "data_folder_out",
                                                "processed_folder", "control_folder")
                if options.get(key)]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
