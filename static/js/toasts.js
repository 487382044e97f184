// Toasts: Django messages rendered by the server, HX-Trigger {"ui:toast": ...} events,
// and calls to showToast() from other modules. Each dismisses itself after a while.
const DISMISS_AFTER_MS = { info: 6000, success: 5000, warning: 9000, error: 10000 };

function region() {
  return document.getElementById("toasts");
}

export function dismiss(toast) {
  if (!toast || toast.classList.contains("toast--leaving")) return;
  toast.classList.add("toast--leaving");
  setTimeout(() => toast.remove(), 220);
}

function arm(toast) {
  if (toast.dataset.armed) return;
  toast.dataset.armed = "true";
  const level = ["success", "warning", "error"].find((l) => toast.classList.contains(`toast--${l}`)) || "info";
  let timer = setTimeout(() => dismiss(toast), DISMISS_AFTER_MS[level]);
  // Keep it while the pointer or focus is on it, so it can be read.
  toast.addEventListener("mouseenter", () => clearTimeout(timer));
  toast.addEventListener("focusin", () => clearTimeout(timer));
  toast.addEventListener("mouseleave", () => { timer = setTimeout(() => dismiss(toast), 3000); });
}

export function showToast(message, level = "info") {
  const template = document.getElementById("toast-template");
  const target = region();
  if (!template || !target) return null;
  const toast = template.content.firstElementChild.cloneNode(true);
  const known = ["info", "success", "warning", "error"].includes(level) ? level : "info";
  toast.className = `toast toast--${known}`;
  toast.setAttribute("role", known === "error" || known === "warning" ? "alert" : "status");
  toast.querySelector(".toast__message").textContent = message;
  const icon = toast.querySelector(".toast__icon use");
  if (icon) {
    const name = { info: "info", success: "check", warning: "warning", error: "error" }[known];
    icon.setAttribute("href", icon.getAttribute("href").replace(/#.*$/, `#${name}`));
  }
  target.append(toast);
  arm(toast);
  return toast;
}

function armAll(root) {
  root.querySelectorAll?.("[data-toast]").forEach(arm);
}

export function initToasts() {
  armAll(document);
  document.addEventListener("htmx:load", (event) => armAll(event.target));
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-toast-close]");
    if (button) dismiss(button.closest("[data-toast]"));
  });
  document.addEventListener("ui:toast", (event) => {
    const detail = event.detail || {};
    const items = Array.isArray(detail.value) ? detail.value : [detail.value ?? detail];
    for (const item of items) {
      if (item && item.message) showToast(item.message, item.level);
      else if (typeof item === "string") showToast(item);
    }
  });
}
