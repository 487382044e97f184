"""Every component template renders with its documented parameters."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.paginator import Paginator
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test import RequestFactory

from tests.conftest import ROOT
from ui import catalog
from ui.demo import DemoForm, UploadResult

COMPONENTS = sorted(
    str(path.relative_to(ROOT / "templates"))
    for path in (ROOT / "templates/components").rglob("*.html")
)


def render(name: str, **context: object) -> str:
    request = RequestFactory().get("/o/acme/?sort=name&q=x")
    return render_to_string(name, context, request=request)


# Internal parts of other components, documented with their parent.
INTERNAL_PARTS = {"components/table/results.html"}


@pytest.mark.parametrize("name", [name for name in COMPONENTS if name not in INTERNAL_PARTS])
def test_every_component_documents_its_parameters(name: str) -> None:
    doc = catalog.documentation(name)
    assert "Parameters" in doc or "parameters" in doc, name


def test_every_component_is_in_the_catalog() -> None:
    shown = {template for entry in catalog.ENTRIES for template in entry.templates}
    internal = {"components/notifications.html", "components/user_menu.html"}
    assert set(COMPONENTS) - shown - internal == set()


def test_card_with_slot_header_and_footer() -> None:
    html = Template(
        '{% load ui %}{% component "card" title="Report" subtitle="Today" footer="F" %}'
        "<p>Body {{ who }}</p>{% endcomponent %}"
    ).render(Context({"who": "<b>you</b>"}))
    assert '<h2 class="card__title">Report</h2>' in html
    assert "<p>Body &lt;b&gt;you&lt;/b&gt;</p>" in html
    assert '<footer class="card__footer">F</footer>' in html


def test_component_tag_rejects_positional_arguments() -> None:
    from django.template import TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError):
        Template('{% load ui %}{% component "card" "oops" %}{% endcomponent %}')


def test_badge_variants() -> None:
    html = render("components/badge.html", label="Clean", variant="clean", dot=True)
    assert 'class="badge badge--clean"' in html
    assert "badge__dot" in html


def test_stat_tile_with_link_and_trend() -> None:
    html = render("components/stat.html", label="Members", value=7, href="/m/", trend="+1", id="s")
    assert 'id="s"' in html
    assert '<a href="/m/">7</a>' in html
    assert "stat__trend--up" in html


def test_skeleton_renders_the_asked_number_of_lines() -> None:
    html = render("components/skeleton.html", lines=4, avatar=True)
    assert html.count("skeleton__line") == 4
    assert 'aria-busy="true"' in html
    assert render("components/skeleton.html").count("skeleton__line") == 3


def test_pagination_keeps_the_query_string() -> None:
    page = Paginator(range(100), 10).get_page(3)
    html = render("components/pagination.html", page=page, hx_target="t")
    assert 'href="?sort=name&amp;q=x&amp;page=4"' in html
    assert 'aria-current="page"' in html
    assert 'hx-target="#t"' in html
    assert (
        render("components/pagination.html", page=Paginator(range(5), 10).get_page(1)).strip() == ""
    )


def test_breadcrumbs_mark_the_current_page() -> None:
    html = render("components/breadcrumbs.html", crumbs=[("Home", "/"), ("Members", "")])
    assert '<a href="/">Home</a>' in html
    assert '<li aria-current="page">Members</li>' in html


def test_field_ties_errors_and_help_to_the_input() -> None:
    form = DemoForm(data={"name": "ab"})
    form.is_valid()
    html = render("components/field.html", field=form["name"], validate_url="/validate/")
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_name-help id_name-errors"' in html
    assert "field--invalid" in html
    assert 'hx-post="/validate/"' in html
    assert '"X-Validate": "name"' in html


def test_form_renders_fields_errors_and_actions() -> None:
    form = DemoForm(data={})
    form.is_valid()
    html = render(
        "components/form.html", form=form, action="/x/", submit_label="Go", cancel_url="/"
    )
    assert 'action="/x/"' in html
    assert "csrfmiddlewaretoken" in html
    assert html.count('class="field ') == 4
    assert ">Go</button>" in html
    assert 'href="/">Cancel' in html


def test_tabs_mark_the_selected_tab() -> None:
    tabs = [("a", "A", "?tab=a"), ("b", "B", "?tab=b")]
    html = Template(
        '{% load ui %}{% component "tabs" id="t" tabs=tabs active="b" %}Panel B{% endcomponent %}'
    ).render(Context({"tabs": tabs}))
    assert (
        'id="t-tab-b" href="?tab=b" hx-get="?tab=b" aria-controls="t-panel" aria-selected="true"'
        in html
    )
    assert 'aria-selected="false" tabindex="-1"' in html
    assert 'aria-labelledby="t-tab-b"' in html
    assert "Panel B" in html


def test_accordion_item_loads_lazily_with_a_skeleton() -> None:
    html = Template(
        '{% load ui %}{% component "accordion_item" title="T" url="/lazy/" %}{% endcomponent %}'
    ).render(Context({}))
    assert 'hx-trigger="toggle once"' in html
    assert "skeleton" in html


def test_dropdown_wraps_items() -> None:
    html = Template(
        '{% load ui %}{% component "dropdown" label="Actions" align="end" %}'
        "<li>x</li>{% endcomponent %}"
    ).render(Context({}))
    assert "dropdown dropdown--end" in html
    assert '<ul class="dropdown__menu" role="list"><li>x</li></ul>' in html


def test_upload_form_works_without_javascript() -> None:
    html = render("components/upload.html", action="/up/", id="u", max_size=1024, accept=".pdf")
    assert 'enctype="multipart/form-data"' in html
    assert 'data-max-size="1024"' in html
    assert 'accept=".pdf"' in html
    assert 'type="submit"' in html


def test_upload_result_success_and_error() -> None:
    ok = render("components/upload_result.html", result=UploadResult("a.pdf", True, "fine", 2048))
    assert 'data-upload-ok="true"' in ok
    assert "2.0\xa0KB" in ok
    bad = render(
        "components/upload_result.html", result=UploadResult("a.exe", False, "nope"), as_item=True
    )
    assert "upload__item--error" in bad


def test_toasts_render_django_messages() -> None:
    message = SimpleNamespace(level_tag="success", __str__=lambda self: "Saved")
    html = render("components/toasts.html", messages=[message])
    assert "toast--success" in html
    assert 'id="toast-template"' in html


def test_alert_levels() -> None:
    html = render("components/alert.html", message="Careful", level="error")
    assert 'role="alert"' in html
    assert "alert--error" in html


def test_modal_and_confirm_dialogs_are_native_dialogs() -> None:
    assert '<dialog class="modal" id="modal"' in render("components/modal.html")
    assert 'method="dialog"' in render("components/confirm.html")


def test_static_files_the_components_use_exist() -> None:
    for name in ("css/tokens.css", "css/app.css", "css/components.css", "img/icons.svg"):
        assert (ROOT / "static" / name).is_file()
    js = {path.name for path in Path(ROOT / "static/js").glob("*.js")}
    assert {"app.js", "modal.js", "upload.js", "toasts.js", "errors.js", "confirm.js"} <= js
