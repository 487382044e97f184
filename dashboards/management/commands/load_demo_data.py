"""Load demo data. Safe to run any number of times: it only adds what is missing."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

DEMO_ADMIN_EMAIL = "admin@example.com"


class _Silent:
    def write(self, *args: Any, **kwargs: Any) -> None:
        return None


def demo_emails() -> list[str]:
    from organizations.demo import DEMO_PEOPLE

    return [DEMO_ADMIN_EMAIL, *{email for email, _slug, _role in DEMO_PEOPLE}]


class Command(BaseCommand):
    help = "Create the demo superuser and demo content (idempotent)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        # ``make run`` keeps one in .env, so the demo people's password is always known
        # (and printed in its summary); otherwise a random one, shown once.
        configured = os.environ.get("DEMO_ADMIN_PASSWORD", "")
        password = configured or secrets.token_urlsafe(12)
        quiet = options["verbosity"] == 0
        admin = user_model.objects.filter(email=DEMO_ADMIN_EMAIL).first()
        if admin is None:
            admin = user_model.objects.create_superuser(email=DEMO_ADMIN_EMAIL, password=password)
            self._mark_email_verified(admin)
            if not quiet:
                self.stdout.write(
                    self.style.SUCCESS(
                        "\nDemo superuser created (shown only this once):\n"
                        f"  email:    {DEMO_ADMIN_EMAIL}\n  password: {password}\n"
                    )
                )
        elif not quiet and not configured:
            self.stdout.write(
                f"Demo superuser {DEMO_ADMIN_EMAIL} already exists "
                "(reset it with: python manage.py changepassword admin@example.com)."
            )
        for loader in self._loaders():
            loader(stdout=self.stdout if not quiet else _Silent(), admin=admin, password=password)
        if configured:
            # The demo people follow the configured password, whenever they were made.
            for person in user_model.objects.filter(email__in=demo_emails()):
                if not person.check_password(configured):
                    person.set_password(configured)
                    person.save(update_fields=["password"])

    @staticmethod
    def _mark_email_verified(user: Any) -> None:
        from allauth.account.models import EmailAddress

        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )

    @staticmethod
    def _loaders() -> list[Any]:
        """Each app adds its demo content through a ``demo.load`` function listed here."""
        from dashboards import demo as dashboards_demo
        from organizations import demo as organizations_demo

        return [organizations_demo.load, dashboards_demo.load]
