// hx-confirm="Question?" asks in the styled <dialog id="confirm"> instead of
// window.confirm(). Cancel is focused first, so Enter never confirms by accident.
import { trapTab } from "./focus.js";

export function ask({ question, title, action, danger }) {
  const dialog = document.getElementById("confirm");
  if (!dialog) return Promise.resolve(window.confirm(question));
  dialog.querySelector("#confirm-title").textContent = title || "Are you sure?";
  dialog.querySelector("#confirm-message").textContent = question;
  const ok = dialog.querySelector("[data-confirm-ok]");
  ok.textContent = action || "Confirm";
  ok.classList.toggle("button--danger", Boolean(danger));
  const opener = document.activeElement;
  dialog.returnValue = "";
  dialog.showModal();
  dialog.querySelector("[data-confirm-cancel]").focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      if (opener && opener.isConnected) opener.focus();
      resolve(dialog.returnValue === "ok");
    }, { once: true });
  });
}

// Forms may also say data-confirm="Question?": asked on submit, before htmx (boost) or
// the browser sends them; confirmed forms are submitted again with the check skipped.
function onSubmit(event) {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirm || form.hasAttribute("hx-confirm")) return;
  if (form.dataset.confirmed === "true") {
    delete form.dataset.confirmed;
    return;
  }
  event.preventDefault();
  event.stopImmediatePropagation();
  const submitter = event.submitter;
  ask({
    question: form.dataset.confirm,
    title: form.dataset.confirmTitle,
    action: form.dataset.confirmAction,
    danger: "confirmDanger" in form.dataset,
  }).then((confirmed) => {
    if (!confirmed) return;
    form.dataset.confirmed = "true";
    form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
  });
}

export function initConfirm() {
  document.addEventListener("submit", onSubmit, true);
  document.addEventListener("htmx:confirm", (event) => {
    const question = event.detail.question;
    if (!question) return;
    event.preventDefault();
    const elt = event.detail.elt;
    ask({
      question,
      title: elt.dataset.confirmTitle,
      action: elt.dataset.confirmAction,
      danger: "confirmDanger" in elt.dataset,
    }).then((confirmed) => {
      if (confirmed) event.detail.issueRequest(true);
    });
  });
  document.addEventListener("keydown", (event) => {
    const dialog = document.getElementById("confirm");
    if (dialog?.open && dialog.contains(event.target)) trapTab(event, dialog);
  });
}
