from __future__ import annotations

from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from home.blocks import ContentStreamBlock


class HomePage(Page):
    """The public site's root page."""

    intro = models.CharField(max_length=255, blank=True)
    body = RichTextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["home.ContentPage", "dashboards.OrganizationPage"]
    max_count = 1


class ContentPage(Page):
    """A page of headings, text, images, documents, embeds, quotes and calls to action."""

    intro = models.CharField(max_length=255, blank=True)
    body = StreamField(ContentStreamBlock(), blank=True, use_json_field=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]

    parent_page_types = ["home.HomePage", "dashboards.OrganizationPage", "home.ContentPage"]
    subpage_types = ["home.ContentPage"]
