"""The product's name for templates rendered outside the portal's layout (the Wagtail
admin's branding blocks): ``{% load product %}{% product_name %}``."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def product_name() -> str:
    return str(settings.WAGTAIL_SITE_NAME)
