"""Images in the private bucket: no public URL, presigned redirects after the check."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from organizations.roles import Role
from secure_images.storage import reset_image_storage
from tests.secure_documents.test_s3 import BUCKET, s3  # noqa: F401 - the fixture
from tests.secure_images.files import png
from tests.secure_images.helpers import make_image
from tests.secure_images.test_serving import get, render_image

pytestmark = pytest.mark.django_db


@pytest.fixture
def s3_images(s3: str) -> Iterator[str]:  # noqa: F811
    reset_image_storage()
    yield s3
    reset_image_storage()


def test_images_and_renditions_live_in_the_private_bucket(s3_images, client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    image = make_image(org_a, "bucket.png")
    url = render_image(image)
    rendition = image.renditions.get()
    org_uuid = org_a.organization.public_id
    for name in (image.file.name, rendition.file.name):
        assert name.startswith(f"{org_uuid}/images/{image.public_id}/")
        # Private objects: the bucket refuses an unsigned request.
        assert httpx.get(f"{s3_images}/{BUCKET}/{name}").status_code == 403
    assert url.startswith(f"/images/{image.public_id}/r/")
    response = get(client, url, org_a.users[Role.MEMBER])
    assert response.status_code == 302
    target = response["Location"]
    assert int(parse_qs(urlparse(target).query)["X-Amz-Expires"][0]) <= 60
    fetched = httpx.get(target)
    assert fetched.status_code == 200
    assert fetched.content[:8] == b"\x89PNG\r\n\x1a\n"
    refused = get(client, url, org_b.users[Role.OWNER])
    assert refused.status_code == 404
    assert "Location" not in refused


def test_stream_mode_reads_renditions_from_the_bucket(s3_images, client, settings, org_a) -> None:  # type: ignore[no-untyped-def]
    settings.DOCUMENT_SERVE_MODE = "stream"
    image = make_image(org_a, "streamed.png", png(60, 60))
    response = get(client, render_image(image, "width-30"), org_a.users[Role.MEMBER])
    assert response.status_code == 200
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
