"""Fill the searchable text of clean documents that have none (processed before text
extraction existed, or while it was switched off)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from secure_documents.models import ProcessingStatus, SecureDocument
from secure_documents.services import document_store_text
from secure_documents.tasks import stored_document_text


class Command(BaseCommand):
    help = "Extract the text of clean documents without any, for search."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--slug", help="Only this organization's documents.")
        parser.add_argument(
            "--all", action="store_true", help="Also documents that have text (new limits)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        documents = SecureDocument.objects.filter(status=ProcessingStatus.CLEAN).order_by("pk")
        if options.get("slug"):
            documents = documents.filter(organization__slug=options["slug"])
        if not options.get("all"):
            documents = documents.filter(extracted_text="")
        seen = filled = 0
        # Only the ids up front: each document's text is read and stored on its own.
        for document_id in documents.values_list("pk", flat=True).iterator():
            document = SecureDocument.objects.filter(pk=document_id).first()
            if document is None:
                continue  # deleted meanwhile
            seen += 1
            try:
                extracted = stored_document_text(document)
            except OSError as exc:  # the file is missing: the sweep reports those
                self.stderr.write(f"document {document_id}: {exc}")
                continue
            if extracted and document_store_text(document=document, extracted_text=extracted):
                filled += 1
        self.stdout.write(
            self.style.SUCCESS(f"{filled} of {seen} document(s) given searchable text.")
        )
