from __future__ import annotations

from django.db import migrations, models


def everyone_is_no_ceiling(apps, schema_editor):  # type: ignore[no-untyped-def]
    Announcement = apps.get_model("dashboards", "Announcement")
    Announcement.objects.filter(min_role="all").update(min_role="")


def no_ceiling_is_everyone(apps, schema_editor):  # type: ignore[no-untyped-def]
    Announcement = apps.get_model("dashboards", "Announcement")
    Announcement.objects.filter(min_role="").update(min_role="all")


class Migration(migrations.Migration):
    """The audience becomes the access rule's role ceiling (``min_role``, '' = everyone)."""

    dependencies = [("dashboards", "0003_dashboardpage_organizationpage_panels")]

    operations = [
        migrations.RenameField("announcement", "audience", "min_role"),
        migrations.RunPython(everyone_is_no_ceiling, no_ceiling_is_everyone),
        migrations.AlterField(
            model_name="announcement",
            name="min_role",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "Everyone"),
                    ("owner", "Owner"),
                    ("admin", "Admin"),
                    ("editor", "Editor"),
                    ("member", "Member"),
                    ("viewer", "Viewer"),
                ],
                default="",
                help_text="Shown to this role and the roles above it.",
                max_length=16,
                verbose_name="audience",
            ),
        ),
    ]
