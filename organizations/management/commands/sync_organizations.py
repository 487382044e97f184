"""Re-sync every organization's Wagtail page root, collection and role groups."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from organizations.models import Organization
from organizations.provisioning import organization_provision


class Command(BaseCommand):
    help = "Create or repair pages, collections and groups of all organizations; report changes."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--slug", help="Only this organization.")

    def handle(self, *args: Any, **options: Any) -> None:
        organizations = Organization.objects.order_by("pk")
        if options.get("slug"):
            organizations = organizations.filter(slug=options["slug"])
        changed = 0
        for organization in organizations:
            report = organization_provision(organization=organization)
            lines = [f"  created {item}" for item in report["created"]] + [
                f"  updated {item}" for item in report["updated"]
            ]
            if lines:
                changed += 1
                self.stdout.write(f"{organization.slug}:")
                self.stdout.write("\n".join(lines))
        if not changed:
            self.stdout.write("All organizations are in sync: nothing to change.")
        else:
            self.stdout.write(self.style.SUCCESS(f"{changed} organization(s) repaired."))
