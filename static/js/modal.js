// Modal dialog on native <dialog id="modal">: htmx loads content into #modal-body, this
// opens the dialog, traps focus, closes on Esc / close button / backdrop click /
// HX-Trigger "ui:modal-close", and gives focus back to the element that opened it.
import { focusables, trapTab } from "./focus.js";

let opener = null;

function dialog() {
  return document.getElementById("modal");
}

export function openModal() {
  const el = dialog();
  if (!el) return;
  if (!el.open) el.showModal();
  const body = el.querySelector(".modal__body");
  const first = focusables(body)[0] || el.querySelector("[data-modal-close]");
  first?.focus();
}

export function closeModal() {
  const el = dialog();
  if (el?.open) el.close();
}

export function initModal() {
  document.addEventListener("htmx:beforeRequest", (event) => {
    const target = event.detail.target;
    if (target && target.id === "modal-body" && !dialog()?.open) opener = event.detail.elt;
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target?.id === "modal-body") openModal();
  });
  document.addEventListener("ui:modal-close", closeModal);
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-modal-close]")) closeModal();
    // A click on the backdrop lands on the <dialog> itself.
    else if (event.target === dialog() && event.target.open) {
      const box = event.target.getBoundingClientRect();
      const inside = event.clientX >= box.left && event.clientX <= box.right
        && event.clientY >= box.top && event.clientY <= box.bottom;
      if (!inside) closeModal();
    }
  });
  document.addEventListener("keydown", (event) => {
    const el = dialog();
    if (el?.open && el.contains(event.target)) trapTab(event, el);
  });
  // "close" does not bubble: listen in the capture phase (the dialog is replaced by
  // boosted navigation, so no listener is attached to it directly).
  document.addEventListener("close", (event) => {
    if (event.target !== dialog()) return;
    event.target.querySelector("#modal-body").replaceChildren();
    if (opener && opener.isConnected) opener.focus();
    opener = null;
  }, true);
}
