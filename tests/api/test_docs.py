"""docs/api.md has a section with a curl example for every operation of the schema,
and no section for an operation the schema does not have."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
HEADING = re.compile(r"^### `(?P<method>[A-Z]+) (?P<path>/api/v1/\S+)`$", re.MULTILINE)
CONTENT_PREFIX = "/api/v1/content/"


def _sections() -> dict[str, str]:
    text = DOC.read_text()
    found = {}
    matches = list(HEADING.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        found[f"{match['method']} {match['path']}"] = text[match.end() : end]
    return found


@pytest.mark.django_db
def test_every_operation_of_the_schema_is_documented_and_only_those() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    operations = {
        f"{method.upper()} {path}"
        for path, methods in schema["paths"].items()
        for method in methods
    }
    sections = _sections()
    documented = {name for name in sections if CONTENT_PREFIX not in name}
    assert operations - documented == set(), "document these in docs/api.md"
    assert documented - operations == set(), "these are not in the schema"
    for name, body in sections.items():
        method, _path = name.split(" ", 1)
        assert "```sh\ncurl" in body, f"{name}: no curl example"
        if method != "GET":
            assert f"-X {method}" in body, f"{name}: the example does not use {method}"


def test_the_content_sections_name_the_content_routes() -> None:
    from api.content import ENDPOINTS

    names = set(ENDPOINTS)
    sections = {name for name in _sections() if CONTENT_PREFIX in name}
    for endpoint in names:
        for suffix in ("/", "/{id}/"):
            assert f"GET {CONTENT_PREFIX}{endpoint}{suffix}" in sections
