from __future__ import annotations

from django.db import migrations

# Wagtail's first migrations create these two groups with permissions on the root page
# and the root collection: adding anyone to them would open every organization's tree.
# Organization roles get their own groups (organizations.provisioning) instead.
DEFAULT_GROUPS = ("Editors", "Moderators")


def remove_default_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=DEFAULT_GROUPS, user__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0003_organization_collection_rolegroup"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtailimages", "0027_image_description"),
    ]
    operations = [migrations.RunPython(remove_default_groups, migrations.RunPython.noop)]
