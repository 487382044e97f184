"""An index on Wagtail's page tree: the page types of the pages at depth 3.

``organizations.pages.public_pages`` lists the site's children that are not organization
roots (``depth = 3 AND content_type_id IN (...)``). With this partial index PostgreSQL
reads the entries of those page types only, not one per organization root. Wagtail's own
migrations never touch it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0007_outboxtask"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS orgportal_page_depth3_type "
            "ON wagtailcore_page (content_type_id) WHERE depth = 3",
            reverse_sql="DROP INDEX IF EXISTS orgportal_page_depth3_type",
        )
    ]
