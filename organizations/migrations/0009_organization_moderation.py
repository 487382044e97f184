"""Per-organization moderation: a switch and the organization's own workflow.

Wagtail's first migrations assign a "Moderators approval" workflow to the tree's root
page, whose task belonged to the "Moderators" group that migration 0004 deleted: every
page of every organization inherited a workflow nobody could approve. It is unassigned
and switched off here; each organization gets its own workflow instead
(organizations/provisioning.py).
"""

import django.db.models.deletion
from django.db import migrations, models


def retire_default_workflow(apps, schema_editor):
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    orphaned = GroupApprovalTask.objects.filter(groups__isnull=True)
    workflows = Workflow.objects.filter(workflow_tasks__task__in=orphaned.values("pk"))
    WorkflowPage.objects.filter(workflow__in=workflows, page__depth=1).delete()
    workflows.update(active=False)
    orphaned.update(active=False)


class Migration(migrations.Migration):

    dependencies = [
        ('organizations', '0008_page_depth_type_index'),
        ('wagtailcore', '0098_apitoken'),
        ('wagtailcore', '0048_add_default_workflows'),
    ]

    operations = [
        migrations.AddField(
            model_name='organization',
            name='moderation_enabled',
            field=models.BooleanField(default=False, db_default=False, help_text="Editors submit pages for approval; the organization's admins publish them."),
        ),
        migrations.AddField(
            model_name='organization',
            name='workflow',
            field=models.OneToOneField(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='organization', to='wagtailcore.workflow'),
        ),
        migrations.RunPython(retire_default_workflow, migrations.RunPython.noop),
    ]
