"""Every URL the site resolves, filled with the world's ids and with query variants.

Patterns come from the resolver (so screens added later are swept without anyone
listing them). Each parameter gets the values of organization A (and B's own, so B's
screens are swept too); routes without parameters get query variants: searches for
words of A's texts, CSV and Excel exports, filters naming A's ids.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from tests.isolation.world import SEARCH_WORDS, World

# Routes the sweep does not request, and why.
SKIPPED_NAMES = {
    "wagtailadmin_logout": "ends the session (the rest of the sweep would run signed out)",
    "account_logout": "ends the session",
    "admin:logout": "ends the session",
    "dashboards:sign_out_everywhere": "ends every session of the persona",
    "wagtailadmin_error_test": "Wagtail's deliberate 500 page, for operators",
}
# Writes a member may make to their own organization: a POST that changes A's data here
# is the member acting, not a leak.
OWN_WRITES = {"organizations:leave", "ui:theme"}
SKIPPED_PREFIXES = ("static/", "media/", "^media/", "__debug__/")


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    params: tuple[str, ...]


def _params(pattern: Any) -> tuple[str, ...]:
    return tuple(pattern.pattern.regex.groupindex)


def routes() -> Iterator[Route]:
    def walk(
        patterns: list[Any], prefix: str, namespace: str, inherited: tuple[str, ...]
    ) -> Iterator[Route]:
        for item in patterns:
            if isinstance(item, URLResolver):
                ns = namespace
                if item.namespace:
                    ns = f"{namespace}:{item.namespace}" if namespace else item.namespace
                yield from walk(
                    item.url_patterns, prefix + str(item.pattern), ns, inherited + _params(item)
                )
            elif isinstance(item, URLPattern) and item.name:
                full = f"{namespace}:{item.name}" if namespace else item.name
                yield Route(full, prefix + str(item.pattern), inherited + _params(item))

    seen: set[str] = set()
    for route in walk(get_resolver().url_patterns, "", "", ()):
        if route.name in SKIPPED_NAMES or route.route.startswith(SKIPPED_PREFIXES):
            continue
        key = f"{route.name}|{route.params}"
        if key not in seen:
            seen.add(key)
            yield route


def _candidates(route: Route, name: str, world: World) -> list[Any]:
    ids = world.ids
    area = route.route
    pages = ids["a_pages"] + ids["b_pages"]
    if name in {"page_id", "parent_page_id", "page_pk", "page_to_move_id", "destination_id"}:
        if "workflow" in area:  # the page waiting for approval first
            return ids["submitted_page"] + pages
        return pages
    if name == "workflow_state_id":
        return ids["workflow_states"]
    if name == "task_state_id":
        return ids["task_states"]
    if name == "task_id":
        return ids["tasks"]
    if name in {"document_id", "doc_id"}:
        return ids["documents"]
    if name == "image_id":
        return ids["images"]
    if name == "collection_id":
        return ids["collections"]
    if name in {"revision_id", "revision_id_a", "revision_id_b"}:
        return ids["announcement_revisions"] if "snippets" in area else ids["page_revisions"]
    if name == "public_id":
        return ids["document_uuids"]
    if name == "org_slug":
        return [world.a.slug, world.b.slug]
    if name in {"pk", "object_id", "instance_pk"}:
        for needle, key in (
            ("webhooks", "webhook_endpoints"),
            ("announcement", "announcements"),
            ("quicklink", "quicklinks"),
            ("documents", "documents"),
            ("images", "images"),
            ("collections", "collections"),
            ("groups", "groups"),
            ("users", "users"),
            ("members", "memberships"),
            ("invitations", "invitations"),
            ("auditevent", "audit_events"),
            ("audit", "audit_events"),
            ("workflows/tasks", "tasks"),
            ("workflows", "workflows"),
            ("tag", "tags"),
        ):
            if needle in area:
                return ids[key]
        return pages[:2]
    if name == "app_label":
        return ["wagtailcore", "dashboards", "secure_documents", "wagtailimages", "home"]
    if name == "model_name":
        return ["page", "contentpage", "announcement", "quicklink", "securedocument", "image"]
    if name == "action":
        return ["delete", "publish", "unpublish", "move", "add_to_collection", "add_tags"]
    if name == "action_name":
        if "workflow" in area:
            return ["approve", "reject"]
        return ["copy", "move", "convert_alias"]
    if name in {"app_name", "content_type_app_name"}:
        return ["home", "dashboards"]
    if name == "content_type_model_name":
        return ["contentpage", "announcement"]
    if name == "filter_spec":
        return ["original", "max-165x165"]
    if name == "document_filename":
        return ["x.txt"]
    if name == "uploaded_file_id":
        return [1]
    if name == "key" and route.name == "avatar":
        return ids["avatar_keys"]
    if name == "size" and route.name == "avatar":
        return [64, 256]
    if name in {"token", "key", "uidb36", "uidb64"}:
        return ["x"]
    return ["1"]


def _query_probes(world: World) -> list[str]:
    ids = world.ids
    word = SEARCH_WORDS[0]
    return [
        "",
        f"?q={word}&query={word}&collection_id={ids['collections'][0]}",
        "?term=QZ",  # autocompletes: part of every marker, never a whole one
        "?export=csv",
        "?export=xlsx",
        f"?child_of={ids['a_pages'][1]}&descendant_of={ids['a_pages'][1]}&for_explorer=1"
        f"&id={ids['a_pages'][0]}&id={ids['documents'][0]}&id={ids['images'][0]}",
        f"?owner={ids['users'][0]}&locked_by={ids['users'][0]}&user={ids['users'][0]}",
        # The audit log's and the workflow reports' filters, naming A's rows.
        f"?actor={ids['users'][1]}&action=invitation.sent&organization={world.a.pk}"
        f"&workflow={ids['workflows'][0]}&task={ids['tasks'][0]}&requested_by={ids['users'][2]}"
        "&reviewable=true&export=csv",
    ]


def urls_for(route: Route, world: World) -> Iterator[tuple[str, list[str]]]:
    """The concrete URLs to request for ``route``, each with the query variants to try
    when it answers (screens that list, search, filter or export)."""
    if not route.params:
        try:
            base = reverse(route.name)
        except NoReverseMatch:
            return
        probes = []
        if base.startswith(("/admin/", "/search/", "/o/")) or route.name.endswith("results"):
            probes = [base + probe for probe in _query_probes(world)[1:]]
        yield base, probes
        return
    choices = [_candidates(route, name, world) for name in route.params]
    for values in itertools.islice(itertools.product(*choices), 8):
        kwargs = dict(zip(route.params, values, strict=True))
        try:
            url = reverse(route.name, kwargs=kwargs)
        except NoReverseMatch:  # a value the converter rejects: not a URL
            continue
        if route.name.endswith("wagtail_bulk_action"):
            for key in ("a_pages", "announcements", "quicklinks", "documents", "images"):
                for ident in world.ids[key]:
                    yield f"{url}?id={ident}", []
            yield f"{url}?id=all&childOf={world.ids['a_pages'][1]}", []
            continue
        probes = []
        if "org_slug" in kwargs or route.name.endswith("results"):
            probes = [url + probe for probe in _query_probes(world)[1:]]
        yield url, probes


def extra_urls(world: World) -> list[str]:
    """URLs the resolver cannot name: served pages, files, public search."""
    ids = world.ids
    return [
        *ids["page_urls"],
        "/alpha/handbook/",  # an unpublished page's path
        *ids["document_urls"],
        *ids["image_urls"],
        *ids["avatar_urls"],
        *(f"/search/?query={word}" for word in SEARCH_WORDS),
        "/sitemap.xml",
        "/robots.txt",
        "/",
    ]
