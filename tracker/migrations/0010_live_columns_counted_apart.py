"""Issue 27: a running replication's progress and heartbeat (LIVE_COLUMNS in
tracker/content_version.py) are counted under the runs table's live name, not the table's,
so the pages that read runs stay cached while a run reports progress. The UPDATE trigger of
the runs table is replaced (it compared every column) and its live trigger added."""

from django.db import migrations


def replace_triggers(apps, schema_editor):
    from tracker import content_version

    alias = schema_editor.connection.alias
    content_version.drop_triggers(using=alias)
    content_version.install_triggers(using=alias)


class Migration(migrations.Migration):

    dependencies = [
        ("tracker", "0009_row_level_content_triggers"),
    ]

    operations = [
        migrations.RunPython(replace_triggers, migrations.RunPython.noop),
    ]
