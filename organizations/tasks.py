from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from organizations.models import Invitation
from organizations.outbox import outbox_relay  # noqa: F401 - registered with the workers
from organizations.task_base import tenant_task


@tenant_task(
    name="organizations.send_invitation_email",
    autoretry_for=(OSError,),
    # Protects the mail relay (and the sender's reputation) from bursts of invitations.
    rate_limit="30/m",
)
def send_invitation_email(
    self: Any, invitation_id: int, token: str, *, organization_id: int
) -> bool:
    invitation = (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(pk=invitation_id, organization_id=organization_id)
        .first()
    )
    if invitation is None or invitation.status != "pending":
        return False
    url = settings.SITE_URL.rstrip("/") + reverse("invitation_accept", kwargs={"token": token})
    context = {"invitation": invitation, "accept_url": url, "site_name": settings.WAGTAIL_SITE_NAME}
    send_mail(
        subject=f"You are invited to join {invitation.organization.name}",
        message=render_to_string("organizations/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invitation.email],
        html_message=render_to_string("organizations/email/invitation.html", context),
    )
    return True


@shared_task(name="organizations.expire_invitations")
def expire_invitations() -> int:
    from organizations.services import invitations_expire

    return invitations_expire()
