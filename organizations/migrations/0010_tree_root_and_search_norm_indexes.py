"""Indexes on Wagtail's tables for costs that grew with the number of organizations.

- The first root node of the page and collection trees (treebeard's
  ``get_first_root_node``: ``depth = 1 ORDER BY path LIMIT 1``): without an index on
  depth, PostgreSQL read the whole table, three times per site-history page (3.7 ms each
  at 40,000 pages). The partial indexes hold one row each.
- Wagtail's database search backend marks new index entries with ``title_norm = 1.0``
  and, on every indexed save, updates the marked rows: with nothing to find them it read
  the whole index (47 ms at 110,000 entries, once per save, three saves per new
  organization). The partial index holds only the marked rows, which are few.
"""

from django.db import migrations

INDEXES = [
    ("orgportal_page_tree_root", "wagtailcore_page (path) WHERE depth = 1"),
    ("orgportal_collection_tree_root", "wagtailcore_collection (path) WHERE depth = 1"),
    (
        "orgportal_search_entry_unnormalised",
        "wagtailsearch_indexentry (id) WHERE title_norm = 1.0",
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0009_organization_moderation"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailsearch", "0010_add_text_fields"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {target}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, target in INDEXES
    ]
