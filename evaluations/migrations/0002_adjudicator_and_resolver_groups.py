"""The two roles of adjudication as groups with their permissions.

adjudicators: score candidacies (their own assessments only, enforced by the services and
the admin), declare conflicts, read the catalogue. resolvers: staff who resolve markets.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "adjudicators": [
        ("evaluations", "view_assessment"),
        ("evaluations", "add_assessment"),
        ("evaluations", "change_assessment"),
        ("evaluations", "delete_assessment"),
        ("evaluations", "view_candidacyscoring"),
        ("evaluations", "change_candidacyscoring"),
        ("evaluations", "view_candidacyverdict"),
        ("evaluations", "view_declaredconflict"),
        ("evaluations", "add_declaredconflict"),
        ("evaluations", "view_resolutionevent"),
        ("tracker", "view_market"),
        ("tracker", "view_criterion"),
        ("tracker", "view_paper"),
        ("tracker", "view_author"),
        ("tracker", "view_candidacy"),
        ("tracker", "view_claim"),
    ],
    "resolvers": [
        ("evaluations", "view_marketresolution"),
        ("evaluations", "change_marketresolution"),
        ("evaluations", "resolve_market"),
        ("evaluations", "view_resolutionevent"),
        ("evaluations", "view_candidacyverdict"),
        ("evaluations", "view_assessment"),
        ("evaluations", "view_declaredconflict"),
        ("tracker", "view_market"),
        ("tracker", "view_criterion"),
        ("tracker", "view_paper"),
        ("tracker", "view_candidacy"),
    ],
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; make them exist now.
    for label in ("evaluations", "tracker"):
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, verbosity=0, apps=apps)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for app_label, codename in codes:
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
