"""Headless content: Wagtail's API v2 (pages, images, documents) through its documented
extension points (endpoint classes, the router), scoped by the access rule.

- Anonymous callers: the public pages (``organizations.pages.public_pages``: the site
  outside organizations and the subtrees of organizations that published their site),
  the images of organizations that published their site, no documents (a document is
  always for signed-in members, as its serve view says).
- A token: its organization's live pages, images and the documents its role may see,
  nothing else (its person is bound to the token's organization, api/auth.py).
- A signed-in browser: the public content and that of the organizations the rule lets
  the person view.

Only the token and the session authenticate (no HTTP Basic passwords: sign-in has
two-factor and rate limits); answers are JSON only.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.renderers import JSONRenderer
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet
from wagtail.models import Page, PageViewRestriction, Site

from api.auth import token_from
from api.errors import ApiError
from api.registry import CONTENT_NAMESPACE
from organizations import access
from organizations.pages import ROOT_DEPTH, public_pages, root_pages
from organizations.roles import Capability
from secure_documents.models import ProcessingStatus
from secure_images.access import with_site_public


class ContentTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>``, checked, counted and bound as for /api/v1/."""

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            return None
        try:
            token = token_from(request._request, raw.strip())
        except ApiError as exc:
            if exc.status == 429:
                raise Throttled(wait=int(exc.headers.get("Retry-After", "60"))) from exc
            raise AuthenticationFailed(exc.message) from exc
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="api"'


def is_token_request(request: Any) -> bool:
    return getattr(request._request, "api_token", None) is not None


def organizations_in_scope(request: Any) -> list[int]:
    """The organizations whose content the caller may read through the rule."""
    return sorted(access.organization_ids(request.user))


def organization_pages(organization_ids: list[int]) -> Q:
    paths = root_pages().filter(organization_id__in=organization_ids).values_list("path", flat=True)
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(path__startswith=path)
    return condition


def without_tags(fields: list[str]) -> list[str]:
    """Tags are for editors (the admin's media listings), not for everyone who may see
    a file: not among the fields the content API offers."""
    return [name for name in fields if name != "tags"]


class ScopedContentMixin:
    authentication_classes = [ContentTokenAuthentication, SessionAuthentication]
    renderer_classes = [JSONRenderer]
    request: Any


def refused_inside(request: Any, organization_ids: list[int]) -> Q:
    """Pages the organizations' editors restricted further (Wagtail's privacy setting on a
    page below the root: signed-in people, or some of the role groups) that this caller
    does not pass, as Wagtail's own check of each restriction answers."""
    paths = root_pages().filter(organization_id__in=organization_ids).values_list("path", flat=True)
    inside = Q(pk__in=[])
    for path in paths:
        inside |= Q(page__path__startswith=path)
    refused = Q(pk__in=[])
    restrictions = PageViewRestriction.objects.filter(inside, page__depth__gt=ROOT_DEPTH)
    for restriction in restrictions.select_related("page").prefetch_related("groups"):
        if not restriction.accept_request(request._request):
            refused |= Q(path__startswith=restriction.page.path)
    return refused


class ContentPagesEndpoint(ScopedContentMixin, PagesAPIViewSet):
    def get_base_queryset(self) -> QuerySet[Page]:
        # Wagtail asks for it several times per request (listing, filters, serializer).
        if not hasattr(self, "_scoped_pages"):
            self._scoped_pages = self._scoped_base_queryset()
        return self._scoped_pages

    def _scoped_base_queryset(self) -> QuerySet[Page]:
        request = self.request
        organization_ids = organizations_in_scope(request)
        own = organization_pages(organization_ids)
        pages = Page.objects.live().exclude(refused_inside(request, organization_ids))
        if is_token_request(request):
            return pages.filter(own).order_by("path")
        site = Site.find_for_request(request)
        public: Q = Q(pk__in=public_pages(site.root_page).values("pk")) if site else Q(pk__in=[])
        return pages.filter(public | own).order_by("path")


class ContentImagesEndpoint(ScopedContentMixin, ImagesAPIViewSet):
    """Images as the admin's media policy has them: those of organizations where the
    caller may edit content (their titles and tags are editors' business), plus those of
    organizations that published their site (their pages show them to everyone)."""

    meta_fields = without_tags(ImagesAPIViewSet.meta_fields)
    listing_default_fields = without_tags(ImagesAPIViewSet.listing_default_fields)

    def get_queryset(self) -> QuerySet[Any]:
        request = self.request
        rows = with_site_public(self.model.objects.all(), "organization")
        editing = Q(
            organization_id__in=access.organization_ids(request.user, Capability.EDIT_CONTENT)
        )
        published = Q(site_public=True, organization__is_active=True)
        if is_token_request(request):
            in_scope = Q(organization_id__in=organizations_in_scope(request))
            return rows.filter(in_scope & (editing | published)).order_by("id")
        return rows.filter(editing | published).order_by("id")


class ContentDocumentsEndpoint(ScopedContentMixin, DocumentsAPIViewSet):
    meta_fields = without_tags(DocumentsAPIViewSet.meta_fields)
    listing_default_fields = without_tags(DocumentsAPIViewSet.listing_default_fields)

    def get_queryset(self) -> QuerySet[Any]:
        rows = self.model.objects.exclude(status=ProcessingStatus.REJECTED)
        visible = access.filter_visible(rows, self.request.user, min_role_field="min_role")
        return visible.order_by("id")


ENDPOINTS: dict[str, type[Any]] = {
    "pages": ContentPagesEndpoint,
    "images": ContentImagesEndpoint,
    "documents": ContentDocumentsEndpoint,
}
router = WagtailAPIRouter(CONTENT_NAMESPACE)
for _name, _endpoint in ENDPOINTS.items():
    router.register_endpoint(_name, _endpoint)
