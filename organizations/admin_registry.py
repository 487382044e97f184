"""Every admin URL, classified: an allow list, so a screen nobody classified fails closed.

Each URL name under ``/admin/`` and ``/django-admin/`` is one of:

- ``PUBLIC``: reachable without signing in (login, its redirects, static catalogues);
- ``ACCOUNT``: the signed-in person's own account and preferences;
- ``SCOPED``: shows or changes organization data, scoped by the named policy (what the
  policy is is documented in ``POLICIES``; the admin guard applies the URL-level checks);
- ``OPERATOR``: platform screens for operators (superusers) only.

An admin URL whose name is not here answers 404 to everyone but operators
(organizations/admin_guard.py), and ``tests/organizations/test_admin_registry.py``
enumerates the resolver and fails on any unclassified name. So a Wagtail upgrade or a new
feature that adds a screen is closed until someone decides who may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    PUBLIC = "public"
    ACCOUNT = "account"
    SCOPED = "scoped"
    OPERATOR = "operator"


@dataclass(frozen=True)
class Rule:
    kind: Kind
    policy: str = ""


# What each SCOPED policy name means (the test checks every rule names one of these).
POLICIES: dict[str, str] = {
    "pages": "pages inside the person's organization subtrees: OrganizationPagePermissionPolicy "
    "(group permissions of organizations the access rule lets them edit), the explorer and "
    "chooser hooks, and the guard's page-id check on every URL that names a page",
    "media": "documents and images: OrganizationMediaPermissionPolicy (the rule, the "
    "organization's collection, the role ceiling), the scoped admin API endpoints",
    "snippets": "organization-owned snippets: OrganizationPermissionPolicy and "
    "OrganizationSnippetViewSet (every URL with a pk checked against the scoped queryset)",
    "history": "log entries of objects in scope only (ScopedLogEntriesView); people in filter "
    "choices limited to members of the organizations the person edits",
    "tags": "tags used on objects in the person's scope only",
    "editing": "editor tools that show no organization data (block previews, embeds, link "
    "forms) or only data of an object in scope (editing sessions)",
    "dashboard": "the admin home: panels of the organizations the person edits, Wagtail's "
    "panels through the page policy",
    "bulk": "bulk actions: every id must be in the person's scope for its model",
    "workflows": "workflow reports: workflow and task states of pages inside organizations "
    "the rule lets the person manage (admins, owners; others 404), filter choices narrowed "
    "to their organizations' workflows and people (ScopedWorkflowView, "
    "ScopedWorkflowTasksView)",
    "audit": "the audit log: events of organizations the rule lets the person manage, "
    "within each event's role ceiling (AuditLogViewSet); nobody else finds it",
}


def _rules(kind: Kind, policy: str, *names: str) -> dict[str, Rule]:
    return dict.fromkeys(names, Rule(kind, policy))


_PAGES_VIEWS = (
    "add",
    "add_subpage",
    "choose_parent",
    "collect_workflow_action_data",
    "confirm_workflow_cancellation",
    "convert_alias",
    "copy",
    "delete",
    "edit",
    "history",
    "history_results",
    "lock",
    "move",
    "move_confirm",
    "preview_on_add",
    "preview_on_edit",
    "revisions_compare",
    "revisions_index",
    "revisions_revert",
    "revisions_unschedule",
    "revisions_view",
    "search",
    "search_results",
    "set_page_position",
    "set_privacy",
    "unlock",
    "unpublish",
    "usage",
    "view_draft",
    "workflow_action",
    "workflow_history",
    "workflow_history_detail",
    "workflow_preview",
)
_DOCUMENT_VIEWS = (
    "add",
    "add_multiple",
    "create_multiple_from_uploaded_document",
    "delete",
    "delete_multiple",
    "delete_upload_multiple",
    "document_usage",
    "edit",
    "edit_multiple",
    "index",
    "index_results",
)
_IMAGE_VIEWS = (
    "add",
    "add_multiple",
    "create_multiple_from_uploaded_image",
    "delete",
    "delete_multiple",
    "delete_upload_multiple",
    "edit",
    "edit_multiple",
    "image_usage",
    "index",
    "index_results",
    "preview",
    "url_generator",
    "url_generator_output",
)
_CHOOSER_VIEWS = ("choose", "choose_results", "chosen", "chosen_multiple", "create")
# The views of an organization snippet viewset (OrganizationSnippetViewSet) and of its
# chooser; a view Wagtail adds later is not here, so it stays closed.
SNIPPET_VIEWS = (
    "add",
    "copy",
    "delete",
    "edit",
    "history",
    "history_results",
    "inspect",
    "list",
    "list_results",
    "lock",
    "preview_on_add",
    "preview_on_edit",
    "revisions_compare",
    "revisions_revert",
    "revisions_unschedule",
    "revisions_view",
    "unlock",
    "unpublish",
    "usage",
)
SNIPPET_CHOOSER_VIEWS = _CHOOSER_VIEWS

REGISTRY: dict[str, Rule] = {
    # --- public: signing in goes through allauth (two-factor, rate limits) -----------
    **_rules(
        Kind.PUBLIC,
        "",
        "wagtailadmin_login",
        "wagtailadmin_login_allauth",
        "django_admin_login_allauth",
        "wagtailadmin_logout",
        "wagtailadmin_password_reset",
        "wagtailadmin_password_reset_done",
        "wagtailadmin_password_reset_confirm",
        "wagtailadmin_password_reset_complete",
        "wagtailadmin_javascript_catalog",
        "wagtailadmin_sprite",
        "admin:login",
        "admin:logout",
        "admin:jsi18n",
    ),
    # --- the person's own account ------------------------------------------------------
    **_rules(Kind.ACCOUNT, "", "wagtailadmin_account", "wagtailadmin_dismissibles"),
    # --- organization data, scoped -----------------------------------------------------
    **_rules(Kind.SCOPED, "dashboard", "wagtailadmin_home"),
    **_rules(
        Kind.SCOPED,
        "pages",
        "wagtailadmin_explore_root",
        "wagtailadmin_explore",
        "wagtailadmin_explore_results",
        "wagtailadmin_choose_page",
        "wagtailadmin_choose_page_child",
        "wagtailadmin_choose_page_search",
        "wagtailadmin_choose_page_chosen_multiple",
        "wagtailadmin_reports:locked_pages",
        "wagtailadmin_reports:locked_pages_results",
        "wagtailadmin_api:pages:listing",
        "wagtailadmin_api:pages:detail",
        "wagtailadmin_api:pages:find",
        "wagtailadmin_api:pages:action",
        "wagtailforms:index",
        "wagtailforms:index_results",
        "wagtailforms:list_submissions",
        "wagtailforms:list_submissions_results",
        "wagtailforms:delete_submissions",
        *(f"wagtailadmin_pages:{view}" for view in _PAGES_VIEWS),
    ),
    **_rules(
        Kind.SCOPED,
        "media",
        "secure_document_add",
        "secure_document_add_multiple",
        *(f"wagtaildocs:{view}" for view in _DOCUMENT_VIEWS),
        *(f"wagtaildocs_chooser:{view}" for view in _CHOOSER_VIEWS),
        *(f"wagtailimages:{view}" for view in _IMAGE_VIEWS),
        *(f"wagtailimages_chooser:{view}" for view in (*_CHOOSER_VIEWS, "select_format")),
        "wagtailadmin_api:documents:listing",
        "wagtailadmin_api:documents:detail",
        "wagtailadmin_api:documents:find",
        "wagtailadmin_api:images:listing",
        "wagtailadmin_api:images:detail",
        "wagtailadmin_api:images:find",
    ),
    **_rules(Kind.SCOPED, "snippets", "scoped_snippet_index", "wagtailsnippets:index"),
    **_rules(Kind.SCOPED, "history", "scoped_site_history", "scoped_site_history_results"),
    **_rules(
        Kind.SCOPED,
        "tags",
        "scoped_tag_autocomplete",
        "scoped_tag_model_autocomplete",
        "wagtailadmin_tag_autocomplete",
        "wagtailadmin_tag_model_autocomplete",
    ),
    **_rules(
        Kind.SCOPED,
        "editing",
        "wagtailadmin_block_preview",
        "wagtailadmin_choose_page_external_link",
        "wagtailadmin_choose_page_email_link",
        "wagtailadmin_choose_page_phone_link",
        "wagtailadmin_choose_page_anchor_link",
        "wagtailembeds:chooser",
        "wagtailembeds:chooser_upload",
        "wagtailadmin_editing_sessions:ping",
        "wagtailadmin_editing_sessions:release",
    ),
    **_rules(Kind.SCOPED, "bulk", "wagtail_bulk_action"),
    **_rules(
        Kind.SCOPED,
        "workflows",
        "scoped_workflow_report",
        "scoped_workflow_report_results",
        "scoped_workflow_tasks_report",
        "scoped_workflow_tasks_report_results",
    ),
    # --- operators only: the platform and everything that spans organizations ---------
    **_rules(
        Kind.OPERATOR,
        "",
        "wagtailadmin_error_test",
        # Platform-wide reports: counts and titles of every organization.
        "wagtailadmin_reports:page_types_usage",
        "wagtailadmin_reports:page_types_usage_results",
        "wagtailadmin_reports:aging_pages",
        "wagtailadmin_reports:aging_pages_results",
        "wagtailadmin_reports:site_history",
        "wagtailadmin_reports:site_history_results",
        # Wagtail's own workflow reports, at the paths the scoped ones answer first.
        "wagtailadmin_reports:workflow",
        "wagtailadmin_reports:workflow_results",
        "wagtailadmin_reports:workflow_tasks",
        "wagtailadmin_reports:workflow_tasks_results",
        "wagtailadmin_pages:type_use",
        "wagtailadmin_pages:type_use_results",
        # Workflow definitions: operators; each organization's own workflow is
        # provisioned from its moderation switch (organizations/provisioning.py).
        *(
            f"wagtailadmin_workflows:{view}"
            for view in (
                "add",
                "add_task",
                "disable",
                "disable_task",
                "edit",
                "edit_task",
                "enable",
                "enable_task",
                "index",
                "index_results",
                "remove",
                "select_task_type",
                "task_chooser",
                "task_chooser_create",
                "task_chooser_results",
                "task_chosen",
                "task_index",
                "task_index_results",
                "usage",
                "usage_results",
            )
        ),
        *(f"wagtailadmin_collections:{view}" for view in ("add", "delete", "edit", "index")),
        "wagtailadmin_collections:set_privacy",
        *(
            f"wagtailredirects:{view}"
            for view in (
                "add",
                "delete",
                "edit",
                "index",
                "index_results",
                "process_import",
                "start_import",
            )
        ),
        *(f"wagtailsettings:{view}" for view in ("edit", "preview_on_edit")),
        *(
            f"wagtailsites:{view}"
            for view in (
                "add",
                "copy",
                "delete",
                "edit",
                "history",
                "history_results",
                "index",
                "index_results",
                "usage",
            )
        ),
        # User and group management allows privilege escalation (wagtail #14100):
        # organization admins manage their members in the portal.
        *(
            f"wagtailusers_users:{view}"
            for view in (
                "add",
                "copy",
                "delete",
                "edit",
                "history",
                "history_results",
                "index",
                "index_results",
                "usage",
            )
        ),
        *(
            f"wagtailusers_groups:{view}"
            for view in (
                "add",
                "delete",
                "edit",
                "history",
                "history_results",
                "index",
                "index_results",
                "usage",
            )
        ),
    ),
}

# Prefixes that are operator-only as a whole: Django's admin site and the platform
# screens (operators/: their viewsets and actions).
OPERATOR_PREFIXES = ("admin:", "platform_")


def classify(name: str, rule: Rule) -> None:
    """For apps that add admin screens: say who may use them (from their wagtail_hooks)."""
    existing = REGISTRY.get(name)
    if existing is not None and existing != rule:
        raise ValueError(f"admin URL {name!r} is already classified as {existing}")
    REGISTRY[name] = rule


def classify_snippet_viewsets(namespace: str, chooser_namespace: str) -> None:
    """The views of an organization-owned snippet model's viewset and chooser."""
    for view in SNIPPET_VIEWS:
        classify(f"{namespace}:{view}", Rule(Kind.SCOPED, "snippets"))
    for view in SNIPPET_CHOOSER_VIEWS:
        classify(f"{chooser_namespace}:{view}", Rule(Kind.SCOPED, "snippets"))


def rule_for(name: str | None) -> Rule | None:
    if not name:
        return None
    found = REGISTRY.get(name)
    if found is not None:
        return found
    if name.startswith(OPERATOR_PREFIXES):
        return Rule(Kind.OPERATOR)
    return None
