"""WCAG AA contrast of the design tokens, in both themes (static/css/tokens.css)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

TOKENS = (ROOT / "static/css/tokens.css").read_text()
PAIR = re.compile(
    r"--(?P<name>[\w-]+):\s*light-dark\((?P<light>#[0-9a-f]{6}),\s*(?P<dark>#[0-9a-f]{6})\)"
)
COLOURS = {m["name"]: (m["light"], m["dark"]) for m in PAIR.finditer(TOKENS)}

# (text, background, minimum ratio): 4.5 for text, 3 for large text and UI parts.
PAIRS = [
    ("color-text", "color-bg", 4.5),
    ("color-text", "color-surface", 4.5),
    ("color-text", "color-surface-muted", 4.5),
    ("color-text-muted", "color-bg", 4.5),
    ("color-text-muted", "color-surface", 4.5),
    ("color-text-muted", "color-surface-muted", 4.5),
    ("color-heading", "color-surface", 4.5),
    ("color-primary", "color-surface", 4.5),
    ("color-primary", "color-bg", 4.5),
    ("color-primary", "color-primary-soft", 4.5),
    ("color-primary-contrast", "color-primary", 4.5),
    ("color-primary-contrast", "color-primary-hover", 4.5),
    ("color-danger-contrast", "color-danger", 4.5),
    ("color-danger-contrast", "color-danger-hover", 4.5),
    ("color-success", "color-success-soft", 4.5),
    ("color-warning", "color-warning-soft", 4.5),
    ("color-danger", "color-danger-soft", 4.5),
    ("color-info", "color-info-soft", 4.5),
    ("color-neutral", "color-neutral-soft", 4.5),
    ("color-danger", "color-surface", 4.5),
    ("color-success", "color-surface", 4.5),
    ("color-text", "color-surface-raised", 4.5),
    ("color-border-strong", "color-surface", 3.0),
    ("color-focus", "color-surface", 3.0),
    ("color-focus", "color-bg", 3.0),
]


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def ratio(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_colour_token_has_a_light_and_a_dark_value() -> None:
    assert len(COLOURS) >= 30
    assert "color-bg" in COLOURS


@pytest.mark.parametrize("theme", [0, 1], ids=["light", "dark"])
@pytest.mark.parametrize(("text", "background", "minimum"), PAIRS)
def test_contrast_meets_wcag_aa(text: str, background: str, minimum: float, theme: int) -> None:
    found = ratio(COLOURS[text][theme], COLOURS[background][theme])
    assert found >= minimum, f"{text} on {background}: {found:.2f} < {minimum}"


def test_ratio_matches_the_wcag_reference_values() -> None:
    assert ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
