"""Issue 27: the content version counts rows that change, not statements. The statement-level
triggers (an UPDATE of no row, or of rows to the values they had, moved the version and threw
every cached page away) are replaced by row-level ones (tracker/content_version.py), and
each log row names its table, so a page's key holds the versions of the tables it reads."""

from django.db import migrations, models


def replace_triggers(apps, schema_editor):
    from tracker import content_version

    alias = schema_editor.connection.alias
    content_version.drop_triggers(using=alias)
    content_version.install_triggers(using=alias)


class Migration(migrations.Migration):

    dependencies = [
        ("tracker", "0008_criterion_na_candidacy_dating_heartbeat_queues"),
    ]

    operations = [
        migrations.AddField(
            model_name="contentchange", name="table_name",
            field=models.CharField(blank=True, db_default="", default="", max_length=63),
        ),
        migrations.RunPython(replace_triggers, migrations.RunPython.noop),
    ]
