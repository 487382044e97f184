from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from organizations.models import Invitation


@shared_task(
    name="organizations.send_invitation_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def send_invitation_email(invitation_id: int, token: str) -> bool:
    invitation = (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(pk=invitation_id)
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
