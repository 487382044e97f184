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

export function initConfirm() {
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
