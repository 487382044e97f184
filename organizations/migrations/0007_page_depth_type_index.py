"""An index on Wagtail's page tree by depth and page type.

``organizations.pages.public_pages`` lists the site's children that are not organization
roots (``depth = 3 AND content_type_id IN (...)``): with this index PostgreSQL reads those
few rows instead of every organization root. Wagtail's own migrations never touch it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0006_auditevent_min_role"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS orgportal_page_depth_type "
            "ON wagtailcore_page (depth, content_type_id)",
            reverse_sql="DROP INDEX IF EXISTS orgportal_page_depth_type",
        )
    ]
