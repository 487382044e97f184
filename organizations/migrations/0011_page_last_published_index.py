"""The aging pages report lists the platform's pages by ``last_published_at``: with an
index the first screen reads fifty entries in order instead of sorting every page
(20 ms at 40,000 pages). Its total stays a count of every page: the report is the
operators' view of the whole platform."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("organizations", "0010_tree_root_and_search_norm_indexes")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS orgportal_page_last_published "
            "ON wagtailcore_page (last_published_at)",
            reverse_sql="DROP INDEX IF EXISTS orgportal_page_last_published",
        )
    ]
