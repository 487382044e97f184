"""Cost per request at 2 organizations and at N: it must not grow with the tenant count.

    python -m bench.scale [--orgs N] [--rounds R] [--keep]

Builds two scratch PostgreSQL databases (on 127.0.0.1:5432, user postgres, trust auth):
one with 2 organizations, one with N (default 10,000). A sample of ten is created
through the real services (``organization_create``, ``membership_add``, pages published
through Wagtail, documents and images), five before and five after the others; the
others through the bulk path (``organizations_bulk_create``, each with an owner), with
three published pages, five documents and two images each written as rows. In both,
organization 0 is members-only (its editor and member are measured, its files are on
disk) and organization 1 is published to everyone; the others are members-only, as
organizations are by default.

Then it measures the same requests against both, in alternating rounds (one worker
process per database, in-process through Django's test client: no network, no server),
and prints, per request: SQL queries, p50 of the request time and p50 of its database
time at 2 and at N, and the ratios. It also prints the time of ``organization_create``
for the sample's first five and last five organizations of the large database, and the
bulk path's rate.

Settings: config.settings.test (tasks run inline); Redis from ``REDIS_URL``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PG = "postgres://postgres@127.0.0.1:5432"
PAGES_PER_ORG = 3
DOCUMENTS_PER_ORG = 5
IMAGES_PER_ORG = 2
# Names of a few lengths, as real names have (the search backend normalises by length).
WORDS = ("Labs", "Health Trust", "Freight and Storage", "Council")
OURS, PUBLIC = "org-00000", "org-00001"

# (name, persona, url); {root} is organization 0's root page id.
REQUESTS: list[tuple[str, str, str]] = [
    ("public home", "anonymous", "/"),
    ("public search", "anonymous", "/search/?query=page"),
    ("sitemap", "anonymous", "/sitemap.xml"),
    ("portal overview", "member", f"/o/{OURS}/"),
    ("portal documents", "member", f"/o/{OURS}/documents/"),
    ("portal members", "member", f"/o/{OURS}/members/"),
    ("portal search", "member", f"/o/{OURS}/search/?query=document"),
    ("download", "member", "{download}"),
    ("admin dashboard", "editor", "/admin/"),
    ("explorer", "editor", "/admin/pages/{root}/"),
    ("page search", "editor", "/admin/pages/search/?q=page"),
    ("page chooser", "editor", "/admin/choose-page/"),
    ("document listing", "editor", "/admin/documents/"),
    ("document search", "editor", "/admin/documents/?q=document"),
    ("document chooser", "editor", "/admin/documents/chooser/"),
    ("image listing", "editor", "/admin/images/"),
    ("image search", "editor", "/admin/images/?q=image"),
    ("image chooser", "editor", "/admin/images/chooser/"),
    ("snippet listing", "editor", "/admin/snippets/dashboards/announcement/"),
    ("snippet search", "editor", "/admin/snippets/dashboards/announcement/?q=news"),
    ("site history report", "editor", "/admin/reports/site-history/"),
    ("operator dashboard", "operator", "/admin/"),
    ("aging pages report", "operator", "/admin/reports/aging-pages/"),
]


# --- inside Django (worker processes) --------------------------------------------------------


def _site_tree() -> Any:
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Collection, Locale, Page, Site

    from home.models import HomePage

    locale, _ = Locale.objects.get_or_create(
        language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
    )
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    root = Page.get_first_root_node() or Page.add_root(
        instance=Page(title="Root", slug="root", locale=locale)
    )
    home = HomePage.objects.first() or root.add_child(
        instance=HomePage(title="Org Portal", slug="home", locale=locale)
    )
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "root_page": home, "site_name": "Org Portal"},
    )


def _user(email: str, *, superuser: bool = False) -> Any:
    from django.contrib.auth import get_user_model

    model = get_user_model()
    if superuser:
        return model.objects.create_superuser(email=email, password="bench-password-1")
    return model.objects.create_user(email=email, password="bench-password-1")


SAMPLE = 10  # organizations created through the real services, at the start and at the end


def _content(organization: Any, owner: Any, operator: Any, *, files: bool) -> None:
    """An organization made through the real services: an editor and a member, published
    pages, documents and images (with files on disk when ``files``: the measured one)."""
    from django.core.files.base import ContentFile

    from home.models import ContentPage
    from organizations.pages import root_page_model
    from organizations.roles import Role
    from organizations.services import membership_add
    from secure_documents.models import ProcessingStatus, SecureDocument
    from secure_images.models import SecureImage

    index = int(organization.slug.rsplit("-", 1)[1])
    for role in (Role.EDITOR, Role.MEMBER):
        membership_add(
            acting_user=operator,
            organization=organization,
            user=_user(f"{role}-{index}@bench.example"),
            role=role,
        )
    root = root_page_model().objects.get(organization=organization)
    if organization.slug == PUBLIC:
        root.members_only = False
        root.save_revision().publish()
    for number in range(PAGES_PER_ORG):
        page = root.add_child(
            instance=ContentPage(
                title=f"Page {number} of {organization.name}",
                slug=f"page-{number}",
                intro="A page of the benchmark.",
            )
        )
        page.save_revision().publish()
    for number in range(DOCUMENTS_PER_ORG):
        document = SecureDocument(
            organization=organization,
            collection_id=organization.collection_id,
            title=f"Document {number} of {organization.name}",
            file_size=100,
            content_type="text/plain",
            status=ProcessingStatus.CLEAN,
            uploaded_by_user=owner,
        )
        if files:
            document.file.save(f"document-{number}.txt", ContentFile(b"x" * 100), save=False)
        else:
            document.file = f"bench/{organization.slug}-{number}.txt"
        document.save()
    for number in range(IMAGES_PER_ORG):
        image = SecureImage(
            title=f"Image {number} of {organization.name}",
            organization=organization,
            collection_id=organization.collection_id,
            uploaded_by_user=owner,
        )
        if files:
            image.file.save(f"image-{number}.png", ContentFile(_png()), save=False)
            image.width, image.height = 64, 48
        else:
            image.file, image.width, image.height = f"bench/{organization.slug}-{number}.png", 8, 8
        image.save()


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def _bulk_content(organizations: list[Any]) -> None:
    """Pages, documents and images of the bulk-created organizations, as rows: three
    published pages under each root, five documents and two images in each collection
    (files not on disk: nobody measured opens them)."""
    from django.db.models import F
    from django.utils import timezone
    from wagtail.models import Page

    from home.models import ContentPage
    from organizations.pages import root_page_model
    from organizations.services.bulk import insert_page_rows
    from secure_documents.models import ProcessingStatus, SecureDocument
    from secure_images.models import SecureImage

    now = timezone.now()
    roots = {
        root.organization_id: root
        for root in root_page_model().objects.filter(organization__in=organizations)
    }
    pages = []
    for organization in organizations:
        root = roots[organization.pk]
        for number in range(PAGES_PER_ORG):
            slug = f"page-{number}"
            pages.append(
                ContentPage(
                    title=f"Page {number} of {organization.name}",
                    draft_title=f"Page {number} of {organization.name}",
                    slug=slug,
                    intro="A page of the benchmark.",
                    live=True,
                    has_unpublished_changes=False,
                    first_published_at=now,
                    last_published_at=now,
                    path=f"{root.path}{number + 1:04d}",
                    depth=root.depth + 1,
                    numchild=0,
                    url_path=f"{root.url_path}{slug}/",
                    locale_id=root.locale_id,
                )
            )
    insert_page_rows(pages)
    Page.objects.filter(pk__in=[root.pk for root in roots.values()]).update(
        numchild=F("numchild") + PAGES_PER_ORG
    )
    documents = SecureDocument.objects.bulk_create(
        SecureDocument(
            organization=organization,
            collection_id=organization.collection_id,
            title=f"Document {number} of {organization.name}",
            file=f"bench/{organization.slug}-{number}.txt",
            file_size=100,
            content_type="text/plain",
            status=ProcessingStatus.CLEAN,
        )
        for organization in organizations
        for number in range(DOCUMENTS_PER_ORG)
    )
    images = SecureImage.objects.bulk_create(
        SecureImage(
            organization=organization,
            collection_id=organization.collection_id,
            title=f"Image {number} of {organization.name}",
            file=f"bench/{organization.slug}-{number}.png",
            width=8,
            height=8,
        )
        for organization in organizations
        for number in range(IMAGES_PER_ORG)
    )
    from modelsearch.backends import get_search_backend

    backend = get_search_backend()
    backend.add_bulk(ContentPage, pages)
    backend.add_bulk(SecureDocument, documents)
    backend.add_bulk(SecureImage, images)


def populate(count: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from wagtail.models import Page

    from organizations.services import organization_create
    from organizations.services.bulk import NewOrganization, organizations_bulk_create
    from secure_documents.models import SecureDocument

    _site_tree()
    operator = _user("operator@bench.example", superuser=True)
    sample = min(count, SAMPLE)
    numbers = list(range(count))
    # The first half of the sample (organizations 0 and 1, the measured ones, among
    # them) before the bulk, the second half after it.
    before, bulk, after = (
        numbers[: (sample + 1) // 2],
        numbers[(sample + 1) // 2 : count - sample // 2],
        numbers[count - sample // 2 :],
    )
    create_times: dict[str, list[float]] = {"first": [], "last": []}

    def create(index: int, key: str) -> None:
        owner = _user(f"owner-{index}@bench.example")
        started = time.perf_counter()
        organization = organization_create(
            acting_user=owner, name=f"Org {index} {WORDS[index % len(WORDS)]}", slug=_slug(index)
        )
        create_times[key].append(time.perf_counter() - started)
        _content(organization, owner, operator, files=True)

    for index in before:
        create(index, "first")
    bulk_seconds = 0.0
    if bulk:
        users = get_user_model()
        from allauth.account.models import EmailAddress

        owners = users.objects.bulk_create(
            users(email=f"owner-{index}@bench.example", password="!") for index in bulk
        )
        # Owners are matched by verified address only.
        EmailAddress.objects.bulk_create(
            EmailAddress(user=owner, email=owner.email, verified=True, primary=True)
            for owner in owners
        )
        started = time.perf_counter()
        result = organizations_bulk_create(
            rows=[
                NewOrganization(
                    name=f"Org {index} {WORDS[index % len(WORDS)]}",
                    slug=_slug(index),
                    owner_email=f"owner-{index}@bench.example",
                )
                for index in bulk
            ],
            progress=lambda done: print(f"[bulk] {done}/{len(bulk)}", file=sys.stderr, flush=True),
        )
        bulk_seconds = time.perf_counter() - started
        _bulk_content(result.created)
    for index in after:
        create(index, "last")
    return {
        "organizations": count,
        "pages": Page.objects.count(),
        "documents": SecureDocument.objects.count(),
        "bulk": len(bulk),
        "bulk_seconds": bulk_seconds,
        "create_first": create_times["first"],
        "create_last": create_times["last"],
    }


def _slug(index: int) -> str:
    return f"org-{index:05d}"


def _clients() -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    users = get_user_model().objects
    clients = {"anonymous": Client(HTTP_HOST="localhost")}
    for persona, email in (
        ("member", "member-0@bench.example"),
        ("editor", "editor-0@bench.example"),
        ("operator", "operator@bench.example"),
    ):
        client = Client(HTTP_HOST="localhost")
        client.force_login(users.get(email=email))
        clients[persona] = client
    return clients


def serve() -> None:
    """Measure one round per line read from stdin; print one JSON line per round."""
    from django.db import connection

    from organizations.pages import root_page_model
    from secure_documents.models import SecureDocument

    root = root_page_model().objects.get(organization__slug=OURS).pk
    download = SecureDocument.objects.filter(organization__slug=OURS).order_by("pk").first()
    assert download is not None
    links = {"root": root, "download": download.url}
    clients = _clients()
    state = {"queries": 0, "db": 0.0}

    def timer(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            state["queries"] += 1
            state["db"] += time.perf_counter() - started

    print("READY", flush=True)
    for _line in sys.stdin:
        results = {}
        for name, persona, url in REQUESTS:
            state.update(queries=0, db=0.0)
            with connection.execute_wrapper(timer):
                started = time.perf_counter()
                response = clients[persona].get(url.format(**links))
                elapsed = time.perf_counter() - started
            results[name] = {
                "status": response.status_code,
                "queries": state["queries"],
                "ms": elapsed * 1000,
                "db_ms": state["db"] * 1000,
            }
        print(json.dumps(results), flush=True)


def worker_main(command: str, arg: str | None) -> None:
    import django

    django.setup()
    if command == "populate":
        print("BENCH_JSON " + json.dumps(populate(int(arg or 2))), flush=True)
    elif command == "serve":
        serve()
    else:
        raise SystemExit(f"unknown command {command!r}")


# --- the driver ------------------------------------------------------------------------------


def _env(database: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{PG}/{database}",
        DJANGO_SETTINGS_MODULE="config.settings.test",
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3"),
    )
    return env


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c", sql],
        check=True,
    )


def build(database: str, count: int) -> dict[str, Any]:
    _psql(f'DROP DATABASE IF EXISTS "{database}"')
    _psql(f'CREATE DATABASE "{database}"')
    env = _env(database)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    started = time.monotonic()
    output = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--worker", "populate", str(count)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    line = next(row for row in output.splitlines() if row.startswith("BENCH_JSON "))
    facts = json.loads(line.removeprefix("BENCH_JSON "))
    facts["populate_seconds"] = time.monotonic() - started
    subprocess.run(
        ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-c", "ANALYZE"],
        check=True,
    )
    return facts


def _start(database: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.scale", "--worker", "serve"],
        cwd=ROOT,
        env=_env(database),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    while (line := process.stdout.readline()) and line.strip() != "READY":
        pass
    return process


def _round(process: subprocess.Popen[str]) -> dict[str, Any]:
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write("go\n")
    process.stdin.flush()
    return json.loads(process.stdout.readline())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the two databases")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the databases a --keep run left (migrated first) instead of building",
    )
    args = parser.parse_args()
    small, large = "orgportal_bench_scale_2", f"orgportal_bench_scale_{args.orgs}"
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    facts = {}
    for database, count in ((small, 2), (large, args.orgs)):
        if args.reuse:
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
                cwd=ROOT,
                env=_env(database),
                check=True,
            )
            continue
        facts[count] = build(database, count)
        print(
            f"[built] {count} organizations: {facts[count]['pages']} pages, "
            f"{facts[count]['documents']} documents in {facts[count]['populate_seconds']:.0f}s"
        )
    workers = {2: _start(small), args.orgs: _start(large)}
    samples: dict[int, list[dict[str, Any]]] = {2: [], args.orgs: []}
    try:
        for count in workers:  # warm-up round each, not counted
            _round(workers[count])
        for _ in range(args.rounds):
            for count, process in workers.items():
                samples[count].append(_round(process))
    finally:
        for process in workers.values():
            assert process.stdin is not None
            process.stdin.close()
            process.wait(timeout=30)
        if not (args.keep or args.reuse):
            _psql(f'DROP DATABASE IF EXISTS "{small}"')
            _psql(f'DROP DATABASE IF EXISTS "{large}"')

    def p50(count: int, name: str, key: str) -> float:
        return statistics.median(sample[name][key] for sample in samples[count])

    n = args.orgs
    print(
        f"\n| request | persona | queries 2 / {n} | p50 ms 2 | p50 ms {n} | ratio "
        f"| DB ms 2 | DB ms {n} | DB ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, persona, _url in REQUESTS:
        q_small, q_large = samples[2][0][name]["queries"], samples[n][0][name]["queries"]
        statuses = {samples[c][0][name]["status"] for c in (2, n)}
        ms_small, ms_large = p50(2, name, "ms"), p50(n, name, "ms")
        db_small, db_large = p50(2, name, "db_ms"), p50(n, name, "db_ms")
        print(
            f"| {name} | {persona} | {q_small} / {q_large} | {ms_small:.1f} | {ms_large:.1f} "
            f"| {ms_large / ms_small:.2f}x | {db_small:.2f} | {db_large:.2f} "
            f"| {db_large / max(db_small, 0.001):.2f}x |"
            + ("" if statuses == {200} else f" HTTP {statuses}")
        )
    if args.reuse:
        return
    first, last = facts[n]["create_first"], facts[n]["create_last"]
    print(
        f"\norganization_create: p50 {statistics.median(first) * 1000:.0f} ms for the first "
        f"{len(first)}, {statistics.median(last) * 1000:.0f} ms for the last {len(last)} of {n}"
    )
    if facts[n]["bulk"]:
        print(
            f"bulk path: {facts[n]['bulk']} organizations in {facts[n]['bulk_seconds']:.1f} s "
            f"({facts[n]['bulk'] / facts[n]['bulk_seconds']:.0f} per second)"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    else:
        main()
