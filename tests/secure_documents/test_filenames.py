from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from secure_documents.filenames import clean_filename


@pytest.mark.parametrize(
    "name",
    [
        "report.pdf",
        "Quarterly report 2026.pdf",
        "Übersicht März.xlsx",
        "data.v2.csv",
        "a" * 170 + ".pdf",
    ],
)
def test_good_names_pass(name: str) -> None:
    assert clean_filename(name) == name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "no name"),
        ("   ", "no name"),
        (None, "no name"),
        ("a.pdf.html", "extension"),
        ("a.html.pdf", "extension"),
        ("shell.php", "extension"),
        ("run.exe", "extension"),
        ("image.svg", "extension"),
        ("page.xhtml", "extension"),
        ("report.pdf.", "end with a dot"),
        ("report.pdf ", "space"),
        (" report.pdf", "space"),
        ("report%00.pdf", "null byte"),
        ("report\x00.pdf", "null byte"),
        ("invoice\u202efdp.exe", "right-to-left"),
        ("invoice\u202dfdp.pdf", "right-to-left"),
        ("a" * 300 + ".pdf", "longer than"),
        ("../etc/passwd.txt", "path"),
        ("..\\windows\\win.ini.txt", "path"),
        ("/etc/passwd.txt", "path"),
        ("C:report.pdf", "path"),
        ("%2e%2e%2fsecret.txt", "path"),
        ("..%2fsecret.txt", "path"),
        ("line\r\nbreak.pdf", "control characters"),
        ('quote".pdf', "quotes"),
        ("quote'.pdf", "quotes"),
        (".htaccess", "Hidden"),
        ("CON", "reserved"),
        ("con.txt", "reserved"),
        ("LPT1.pdf", "reserved"),
        ("noextension", "extension"),
    ],
)
def test_bad_names_are_refused_with_a_reason(name: str | None, why: str) -> None:
    with pytest.raises(ValidationError) as exc:
        clean_filename(name)
    assert why.lower() in " ".join(exc.value.messages).lower()
