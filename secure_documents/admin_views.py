"""Wagtail admin document uploads, routed through the portal's upload service.

Wagtail's add views save the form directly; these subclasses call
``document_create`` instead (quota under lock, audit, processing after commit), and the
multiple-upload view never parks a failed upload as a temporary file in MEDIA_ROOT.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from wagtail.documents.views.documents import CreateView
from wagtail.documents.views.multiple import AddView

from secure_documents.services import document_create


def _create_from_form(form: Any, user: Any) -> Any:
    organization = form.target_organization()
    if organization is None:
        raise ValidationError("Choose your organization's collection.")
    tags = list(form.cleaned_data.get("tags") or [])
    return document_create(
        acting_user=user,
        organization=organization,
        uploaded_file=form.cleaned_data["file"],
        title=form.cleaned_data.get("title"),
        tags=[str(tag) for tag in tags],
    )


class SecureDocumentCreateView(CreateView):
    def form_valid(self, form: Any) -> HttpResponse:
        self.form = form
        try:
            self.object = _create_from_form(form, self.request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            form.add_error(None, messages)
            return self.form_invalid(form)
        response = self.save_action()
        hook_response = self.run_after_hook()
        return hook_response if hook_response is not None else response


class SecureMultipleAddView(AddView):
    def post(self, request: HttpRequest) -> HttpResponse:
        if "files[]" not in request.FILES:
            return HttpResponseBadRequest("Must upload a file")
        upload = request.FILES.getlist("files[]")[0]
        form = self.get_upload_form_class()(
            {
                "title": request.POST.get("title", upload.name),
                "collection": request.POST.get("collection"),
            },
            {"file": upload},
            user=request.user,
        )
        if not form.is_valid():
            errors = [message for field_errors in form.errors.values() for message in field_errors]
            return JsonResponse({"success": False, "error_message": "\n".join(errors)})
        try:
            self.object = _create_from_form(form, request.user)
        except (ValidationError, PermissionDenied) as exc:
            message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            return JsonResponse({"success": False, "error_message": message})
        return JsonResponse(self.get_edit_object_response_data())
