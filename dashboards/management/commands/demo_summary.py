"""The box ``make run`` ends with: where to go, who to sign in as, what it runs on."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from dashboards.management.commands.load_demo_data import DEMO_ADMIN_EMAIL

PEOPLE = [
    (DEMO_ADMIN_EMAIL, "operator (superuser), owner of Acme Research"),
    ("owner@acme.example", "owner of Acme Research"),
    ("editor@acme.example", "editor in Acme (the Wagtail admin)"),
    ("member@acme.example", "member of Acme"),
    ("dana@both.example", "editor in Acme, member of Globex Studios"),
]


def _runs_on() -> list[str]:
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        store = f"SQLite ({os.path.basename(str(database['NAME']))})"
    else:
        store = f"PostgreSQL ({database.get('HOST') or 'local socket'}/{database['NAME']})"
    if settings.REDIS_URL:
        layer = "Redis for cache, sessions, live updates and tasks"
        tasks = "start `make worker` and `make beat` beside it"
    else:
        layer = "in-memory cache and live updates"
        tasks = "tasks run inline"
    return [f"{store}; {layer};", f"{tasks}."]


class Command(BaseCommand):
    help = "Print where the running site is and how to sign in (used by make run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["url"].rstrip("/")
        password = os.environ.get("DEMO_ADMIN_PASSWORD") or "(set DEMO_ADMIN_PASSWORD in .env)"
        lines = [
            "Org Portal is starting. Open:",
            f"  {url}/            the public site",
            f"  {url}/portal/     the member portal (Acme Research, Globex Studios)",
            f"  {url}/admin/      the Wagtail admin (editors, operators)",
            "",
            f"Sign in with password {password} as:",
            *(f"  {email:<21} {role}" for email, role in PEOPLE),
            "",
            "Runs on " + _runs_on()[0],
            "  " + _runs_on()[1],
            "Stop with Ctrl-C. Logs: warnings only (LOG_LEVEL=INFO make run for more).",
        ]
        width = max(len(line) for line in lines) + 2
        self.stdout.write("+" + "-" * width + "+")
        for line in lines:
            self.stdout.write("| " + line.ljust(width - 1) + "|")
        self.stdout.write("+" + "-" * width + "+")
