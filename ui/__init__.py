"""Portal UI: theme preference, HTMX helpers, template components and their catalog."""

from __future__ import annotations
