"""Create many organizations at once, from a CSV file or numbered for a load test."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from organizations.services.bulk import BATCH_SIZE, NewOrganization, organizations_bulk_create

TRUE = {"1", "true", "yes", "y"}
# Numbered names of a few lengths, as real names have: Wagtail's database search backend
# normalises titles by the average title length, and titles all of one length make every
# index entry match its "not yet normalised" marker on each later save.
SUFFIXES = ("", " Works", " Studio Group", " Research Partners Ltd")


class Command(BaseCommand):
    help = (
        "Create organizations in bulk: with their page root, collection, role groups and "
        "permissions, as organization_create does, in a few statements per batch. "
        "Either --csv FILE (columns name, slug, and optionally owner_email, public) or "
        "--count N --prefix P (organizations P-00000 … for a load test)."
    )

    def add_arguments(self, parser: Any) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--csv", type=Path, help="A CSV file with a header row.")
        source.add_argument("--count", type=int, help="How many numbered organizations.")
        parser.add_argument("--prefix", default="org", help="Slug prefix with --count.")
        parser.add_argument(
            "--public",
            action="store_true",
            help="With --count: publish their pages to everyone (default members-only).",
        )
        parser.add_argument(
            "--skip-existing",
            action="store_true",
            help="Leave out rows whose slug is taken (to continue an interrupted run).",
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args: Any, **options: Any) -> None:
        rows = self._rows(options)
        if not rows:
            raise CommandError("Nothing to create.")
        started = time.perf_counter()

        def progress(done: int) -> None:
            if options["verbosity"] > 1:
                self.stdout.write(f"  {done}/{len(rows)}")

        try:
            result = organizations_bulk_create(
                rows=rows,
                skip_existing=options["skip_existing"],
                batch_size=max(1, options["batch_size"]),
                progress=progress,
            )
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        except DatabaseError as exc:
            raise CommandError(
                f"The database refused a batch ({exc}). The batches before it are saved; "
                "run the same command again with --skip-existing to continue."
            ) from exc
        elapsed = time.perf_counter() - started
        created = len(result.created)
        rate = created / elapsed if elapsed else 0.0
        if result.skipped:
            self.stdout.write(f"Skipped {len(result.skipped)} existing slug(s).")
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {created} organization(s) in {elapsed:.1f} s ({rate:.0f} per second)."
            )
        )

    def _rows(self, options: dict[str, Any]) -> list[NewOrganization]:
        if options["count"] is not None:
            if options["count"] < 1:
                raise CommandError("--count must be at least 1.")
            prefix = options["prefix"]
            return [
                NewOrganization(
                    name=f"{prefix.title()} {number + 1}{SUFFIXES[number % len(SUFFIXES)]}",
                    slug=f"{prefix}-{number:05d}",
                    members_only=not options["public"],
                )
                for number in range(options["count"])
            ]
        path: Path = options["csv"]
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                missing = {"name", "slug"} - set(reader.fieldnames or [])
                if missing:
                    raise CommandError(f"{path}: missing column(s) {', '.join(sorted(missing))}.")
                return [
                    NewOrganization(
                        name=row.get("name") or "",
                        slug=row.get("slug") or "",
                        owner_email=row.get("owner_email") or "",
                        members_only=(row.get("public") or "").strip().lower() not in TRUE,
                    )
                    for row in reader
                ]
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}") from exc
        except (UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"{path}: not a UTF-8 CSV file ({exc}).") from exc
