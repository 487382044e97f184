"""Work done inside Django for the benchmarks, run as a subprocess by bench/harness.py with
the benchmark environment (scratch database, Redis db, bench.settings).

    python -m bench.django_setup setup <workdir> <big bytes> <small bytes>
        creates a user, an organization and two text documents through the real services
        and prints JSON: the session and CSRF cookies and each document's id, URL, path
        and size.
    python -m bench.django_setup images <email> <count> [<count> ...]
        adds a 1200x800 photo to the member's organization, renders one rendition of it
        and, for each count, a page with that many image blocks; the same photo in a
        second organization that has published its site; prints JSON: the renditions'
        URLs, the first one's storage path and size, and each page's URL.
    python -m bench.django_setup queries <email> <url> [<url> ...]
        counts the SQL queries of one GET of each URL (after one warm-up GET), in-process
        through Django's test client, and prints JSON.
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path
from typing import Any

EMAIL = "bench-member@example.com"
LINE = b"Org Portal benchmark document with plain text and the same line again and again\n"


def _text_file(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        block = LINE * (1024 * 1024 // len(LINE) + 1)
        written = 0
        while written < size:
            part = block[: size - written]
            handle.write(part)
            written += len(part)
    return path


def setup(workdir: Path, big: int, small: int) -> dict[str, Any]:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.files import File
    from django.test import Client

    from organizations.models import Organization
    from organizations.services import organization_create
    from secure_documents.services import document_create

    user = get_user_model().objects.create_user(email=EMAIL, password=secrets.token_urlsafe(24))
    organization = organization_create(acting_user=user, name="Benchmark", slug="benchmark")
    Organization.objects.filter(pk=organization.pk).update(storage_quota_bytes=4 * 1024**3)
    organization.refresh_from_db()
    documents = {}
    for key, size in (("big", big), ("small", small)):
        name = f"bench-{key}.txt"
        source = _text_file(workdir / name, size)
        with source.open("rb") as handle:
            document = document_create(
                acting_user=user, organization=organization, uploaded_file=File(handle, name=name)
            )
        source.unlink()
        documents[key] = {
            "id": document.pk,
            "url": document.url,
            "filename": document.filename,
            "relative_path": document.file.name,
            "path": document.file.path,
            "size": int(document.file_size),
            "content_type": document.content_type,
        }
    client = Client()
    client.force_login(user)
    # The cookies a signed-in browser holds after its first page: the session and the
    # CSRF secret that page set (without it every page would mint and set a new one).
    client.get(organization.get_absolute_url())
    csrf = settings.CSRF_COOKIE_NAME
    return {
        "email": EMAIL,
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "cookie": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "csrf_cookie": f"{csrf}={client.cookies[csrf].value}",
        "documents": documents,
    }


def images(email: str, counts: list[int]) -> dict[str, Any]:
    import io

    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from dashboards.models import OrganizationPage
    from home.models import ContentPage
    from organizations.models import Membership
    from secure_images.models import SecureImage

    user = get_user_model().objects.get(email=email)
    organization = Membership.objects.get(user=user).organization
    buffer = io.BytesIO()
    Image.effect_mandelbrot((1200, 800), (-2.0, -1.2, 1.0, 1.2), 60).convert("RGB").save(
        buffer, "JPEG", quality=85
    )

    def photo(n: int, owner: Any = organization) -> SecureImage:
        image = SecureImage(
            title=f"Photo {n}",
            collection_id=owner.collection_id,
            uploaded_by_user=user,
            file=SimpleUploadedFile(f"photo-{n}.jpg", buffer.getvalue()),
        )
        image._set_image_file_metadata()
        image.save()
        return image

    first = photo(0)
    rendition = first.get_rendition("width-800")
    # A second organization that has published its site: its images are public.
    from organizations.services import organization_create

    published = organization_create(acting_user=user, name="Published", slug="published")
    published_root = OrganizationPage.objects.get(organization=published)
    published_root.members_only = False
    published_root.save()
    public_rendition = photo(0, published).get_rendition("width-800")
    root = OrganizationPage.objects.get(organization=organization)
    pages = {}
    for count in counts:
        body = [("image", {"image": photo(n), "caption": ""}) for n in range(1, count + 1)]
        page = root.add_child(
            instance=ContentPage(title=f"Gallery {count}", slug=f"gallery-{count}", body=body)
        )
        page.save_revision(user=user).publish()
        pages[str(count)] = page.url
    return {
        "rendition": {
            "url": rendition.url,
            "relative_path": rendition.file.name,
            "size": rendition.file.size,
        },
        "public_rendition": {"url": public_rendition.url},
        "pages": pages,
    }


def count_queries(email: str, urls: list[str]) -> dict[str, Any]:
    from asgiref.sync import async_to_sync
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    user = get_user_model().objects.get(email=email)
    client = Client(HTTP_HOST="127.0.0.1")  # in ALLOWED_HOSTS, as on the server
    client.force_login(user)  # the session is now in the cache too, as after a sign-in

    async def read_async(response: Any) -> int:
        return sum([len(chunk) async for chunk in response.streaming_content])

    def body_length(response: Any) -> int:
        if not response.streaming:
            return len(response.content)
        if response.is_async:
            return async_to_sync(read_async)(response)
        return sum(len(chunk) for chunk in response.streaming_content)

    results = {}
    for url in urls:
        body_length(client.get(url))  # warm-up: nothing one-off is counted
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
            length = body_length(response)
        results[url] = {
            "status": response.status_code,
            "bytes": length,
            "queries": len(captured.captured_queries),
            "sql": [query["sql"][:200] for query in captured.captured_queries],
        }
    return results


def main() -> None:
    import django

    django.setup()
    command, *args = sys.argv[1:]
    if command == "setup":
        result = setup(Path(args[0]), int(args[1]), int(args[2]))
    elif command == "images":
        result = images(args[0], [int(n) for n in args[1:]])
    elif command == "queries":
        result = count_queries(args[0], args[1:])
    else:
        raise SystemExit(f"unknown command {command!r}")
    print("BENCH_JSON " + json.dumps(result))


if __name__ == "__main__":
    main()
