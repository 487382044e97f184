"""``manage.py move_unowned_images``: images of no organization go to the operators'
organization (secure_images.unowned; ``migrate`` runs the same step)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from secure_images.unowned import move_unowned_images


class Command(BaseCommand):
    help = "Move images in no organization's collection into the operators' organization."

    def handle(self, *args: Any, **options: Any) -> None:
        report = move_unowned_images()
        for old, new in report.moved.items():
            self.stdout.write(f"image {old} -> operators' image {new}")
        if report.missing_file:
            self.stderr.write(
                f"Images whose public file is missing, left as they are: {report.missing_file}"
            )
        if not report.moved and not report.missing_file:
            self.stdout.write("No image outside an organization.")
