"""Every URL under ``/api/``, classified: an allow list, as for the admin (decision 24).

- ``PUBLIC``: the schema and the interactive docs (no data);
- ``ORGANIZATION``: one organization's data, named by ``org_slug`` in the path; the
  endpoint asks the access rule for the capability written here (api/context.py) and a
  token reaches only the organization it was made for;
- ``PERSON``: the caller's own account and organizations, each through the rule;
- ``CONTENT``: Wagtail's API (pages, images, documents) with the querysets of
  api/content.py: public content for everyone, an organization's through the rule.

``api.middleware.ApiMiddleware`` answers 404 (in the API's error shape) for any
``/api/`` URL whose name is not here, and ``tests/api/test_registry.py`` enumerates the
resolver and fails on an unclassified name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from organizations.roles import Capability

NAMESPACE = "api-v1"
CONTENT_NAMESPACE = "content-api"


class Kind(StrEnum):
    PUBLIC = "public"
    PERSON = "person"
    ORGANIZATION = "organization"
    CONTENT = "content"


@dataclass(frozen=True)
class Rule:
    kind: Kind
    capability: Capability | None = None  # ORGANIZATION: what the rule is asked for
    by_method: tuple[tuple[str, Capability], ...] = ()  # methods that need more

    def capability_for(self, method: str) -> Capability | None:
        return dict(self.by_method).get(method, self.capability)


def _org(capability: Capability, **by_method: Capability) -> Rule:
    return Rule(Kind.ORGANIZATION, capability, tuple(sorted(by_method.items())))


RULES: dict[str, Rule] = {
    f"{NAMESPACE}:api-root": Rule(Kind.PUBLIC),
    f"{NAMESPACE}:openapi-json": Rule(Kind.PUBLIC),
    f"{NAMESPACE}:openapi-view": Rule(Kind.PUBLIC),
    f"{NAMESPACE}:me": Rule(Kind.PERSON),
    # members and invitations (GET lists, POST/PATCH/DELETE the portal's role rules)
    f"{NAMESPACE}:members": _org(Capability.VIEW),
    # (DELETE with your own membership's id is leaving: any member may)
    f"{NAMESPACE}:member": _org(Capability.VIEW, PATCH=Capability.MANAGE_MEMBERS),
    f"{NAMESPACE}:invitations": _org(Capability.MANAGE_MEMBERS),
    f"{NAMESPACE}:invitation": _org(Capability.MANAGE_MEMBERS),
    # documents: the library's rules (view, upload; delete as the service decides)
    f"{NAMESPACE}:documents": _org(Capability.VIEW, POST=Capability.UPLOAD_DOCUMENTS),
    f"{NAMESPACE}:document": _org(Capability.VIEW),
    f"{NAMESPACE}:document_download": _org(Capability.VIEW),
    # announcements: members read, editors write
    f"{NAMESPACE}:announcements": _org(Capability.VIEW, POST=Capability.EDIT_CONTENT),
    f"{NAMESPACE}:announcement_publish": _org(Capability.EDIT_CONTENT),
    # the audit log: the organization's admins
    f"{NAMESPACE}:audit_log": _org(Capability.MANAGE_ORGANIZATION),
    # Wagtail's API v2 (headless content)
    **{
        f"{CONTENT_NAMESPACE}:{endpoint}:{view}": Rule(Kind.CONTENT)
        for endpoint in ("pages", "images", "documents")
        for view in ("listing", "detail", "find")
    },
}


def rule_for(name: str) -> Rule | None:
    return RULES.get(name)
