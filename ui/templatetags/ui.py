"""Template tags for the component library.

``{% component "card" title="Members" %}...{% endcomponent %}`` renders
``templates/components/card.html`` with the keyword arguments and the enclosed markup as
``body``: includes with one slot, for components that wrap content.
``{% icon "bell" %}`` renders an icon from ``static/img/icons.svg``.
``{% reader_cache "name" reader_key ... %}...{% endreader_cache %}`` keeps one reader's
markup in the cache (ui/fragments.py).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import QueryDict
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from ui import fragments

register = template.Library()


class ComponentNode(template.Node):
    def __init__(
        self,
        name: template.base.FilterExpression,
        kwargs: dict[str, template.base.FilterExpression],
        nodelist: template.NodeList,
    ) -> None:
        self.name = name
        self.kwargs = kwargs
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        name = self.name.resolve(context)
        values = {key: value.resolve(context) for key, value in self.kwargs.items()}
        body = self.nodelist.render(context)
        tmpl = context.template.engine.get_template(f"components/{name}.html")  # type: ignore[union-attr]
        with context.push(**values, body=mark_safe(body)):  # noqa: S308 - rendered template output
            return tmpl.render(context)


@register.tag("component")
def do_component(parser: template.base.Parser, token: template.base.Token) -> ComponentNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% component %} needs a component name.")
    name = parser.compile_filter(bits[1])
    kwargs = template.base.token_kwargs(bits[2:], parser, support_legacy=False)
    if len(kwargs) != len(bits) - 2:
        raise template.TemplateSyntaxError("{% component %} takes only keyword arguments.")
    nodelist = parser.parse(("endcomponent",))
    parser.delete_first_token()
    return ComponentNode(name, kwargs, nodelist)


class ReaderCacheNode(template.Node):
    def __init__(
        self,
        name: template.base.FilterExpression,
        vary_on: list[template.base.FilterExpression],
        nodelist: template.NodeList,
    ) -> None:
        self.name = name
        self.vary_on = vary_on
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        values = [value.resolve(context) for value in self.vary_on]
        return fragments.render(context, self.nodelist, str(self.name.resolve(context)), values)


@register.tag("reader_cache")
def do_reader_cache(parser: template.base.Parser, token: template.base.Token) -> ReaderCacheNode:
    """``{% reader_cache "name" reader_key value ... %}...{% endreader_cache %}``: the
    enclosed markup kept in the cache for one reader (ui/fragments.py)."""
    bits = token.split_contents()
    if len(bits) < 3:
        raise template.TemplateSyntaxError(
            "{% reader_cache %} needs a fragment name and the reader's key."
        )
    name = parser.compile_filter(bits[1])
    vary_on = [parser.compile_filter(bit) for bit in bits[2:]]
    nodelist = parser.parse(("endreader_cache",))
    parser.delete_first_token()
    return ReaderCacheNode(name, vary_on, nodelist)


@lru_cache(maxsize=1)
def _sprite_url() -> str:
    # A page shows dozens of icons; the sprite's (hashed) URL is looked up once per
    # process instead of once per icon, and again when the static settings change.
    return str(static("img/icons.svg"))


@receiver(setting_changed)
def _static_settings_changed(setting: str = "", **_: Any) -> None:
    if setting in {"STATIC_URL", "STORAGES", "STATICFILES_STORAGE"}:
        _sprite_url.cache_clear()


@register.simple_tag
def icon(name: str, label: str = "", size: str = "") -> SafeString:
    """An SVG icon; decorative unless ``label`` is given."""
    href = f"{_sprite_url()}#{name}"
    css = f"icon icon--{size}" if size else "icon"
    if label:
        return format_html(
            '<svg class="{}" role="img" aria-label="{}"><use href="{}"></use></svg>',
            css,
            label,
            href,
        )
    return format_html(
        '<svg class="{}" aria-hidden="true" focusable="false"><use href="{}"></use></svg>',
        css,
        href,
    )


@register.filter
def field_type(bound_field: Any) -> str:
    """The widget's input type (``text``, ``checkbox``, ``select`` ...), for styling."""
    widget = bound_field.field.widget
    return str(getattr(widget, "input_type", None) or widget.__class__.__name__.lower())


@register.filter
def times(count: Any) -> range:
    """``{% for _ in 3|times %}``: repeat a block a number of times (at most 50)."""
    try:
        return range(max(0, min(int(count), 50)))
    except (TypeError, ValueError):
        return range(0)


@register.simple_tag(takes_context=True)
def page_url(context: template.Context, param: str, number: Any) -> str:
    """The current URL's query string with ``param`` set to ``number``."""
    request = context.get("request")
    query = request.GET.copy() if request is not None else QueryDict(mutable=True)
    query[param] = str(number)
    return f"?{query.urlencode()}"


@register.filter
def elided_pages(paginator: Any, number: Any) -> list[Any]:
    """Page numbers around ``number`` with ellipses (Django's ``get_elided_page_range``)."""
    try:
        return list(paginator.get_elided_page_range(int(number), on_each_side=2, on_ends=1))
    except (AttributeError, TypeError, ValueError):
        return []


@register.simple_tag(takes_context=True)
def sort_url(context: template.Context, table: Any, column: Any) -> str:
    """The query string that sorts ``table`` by ``column`` (toggling the direction) and
    goes back to the first page."""
    request = context.get("request")
    query = request.GET.copy() if request is not None else QueryDict(mutable=True)
    query[table.prefixed_order_by_field] = str(column.order_by_alias.next)
    query.pop(table.prefixed_page_field, None)
    return f"?{query.urlencode()}"


@register.simple_tag
def field_widget(bound_field: Any) -> str:
    """Render a form field's widget with the ARIA attributes that tie it to its help
    text and errors (``aria-describedby``, ``aria-invalid``)."""
    described = []
    if bound_field.help_text:
        described.append(f"{bound_field.auto_id}-help")
    attrs: dict[str, str] = {}
    if bound_field.errors:
        described.append(f"{bound_field.auto_id}-errors")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return bound_field.as_widget(attrs=attrs)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``{{ request.GET|get_item:name }}``: a lookup with a key held in a variable."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


_RELATIVE_UNITS = (
    ("year", 31536000),
    ("month", 2592000),
    ("week", 604800),
    ("day", 86400),
    ("hour", 3600),
    ("minute", 60),
)


# The exact moment beside a relative time (its tooltip), in the active time zone.
EXACT_TIME_FORMAT = "j M Y, H:i"


@register.filter
def exact_time(value: Any, zone: Any = None) -> str:
    """The date and time, such as 6 Dec 2026, 14:05, in ``zone`` (default: the active
    time zone, the reader's on a page; live fragments get each reader's from
    dashboards.live_times)."""
    from django.utils import dateformat, timezone

    if not value:
        return ""
    return dateformat.format(timezone.localtime(value, zone), EXACT_TIME_FORMAT)


@register.filter
def relative_time(value: Any) -> str:
    """Say how long ago: "just now", "3 days ago" (static/js/live.js keeps it current)."""
    from django.utils import timezone

    if not value:
        return ""
    seconds = int((timezone.now() - value).total_seconds())
    for unit, size in _RELATIVE_UNITS:
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


@register.filter
def initials(name: Any) -> str:
    """Up to two letters for an avatar: "Ana Lima" -> "AL", "ana@example.com" -> "A"."""
    words = [word for word in str(name or "").split("@")[0].replace(".", " ").split() if word]
    if not words:
        return "?"
    return (words[0][0] + (words[-1][0] if len(words) > 1 else "")).upper()
