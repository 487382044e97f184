// A failed htmx request (other than a 400/422 form answer, which is swapped) leaves the
// page as it was and says what happened in a toast.
import { showToast } from "./toasts.js";

const MESSAGES = {
  401: "Your session has ended. Sign in again to continue.",
  403: "You are not allowed to do that.",
  404: "That no longer exists, or you do not have access to it.",
  405: "That action is not available here.",
  408: "The server took too long to answer. Please try again.",
  409: "Someone else changed this in the meantime. Reload and try again.",
  413: "That is too large to send.",
  429: "Too many requests. Wait a moment and try again.",
};

export function messageForStatus(status) {
  if (MESSAGES[status]) return MESSAGES[status];
  if (status >= 500) return `Something went wrong on our side (error ${status}). Please try again.`;
  return `The request failed (error ${status}).`;
}

function serverSentToast(xhr) {
  const header = xhr && xhr.getResponseHeader("HX-Trigger");
  return Boolean(header && header.includes("ui:toast"));
}

export function initErrors() {
  document.addEventListener("htmx:responseError", (event) => {
    const xhr = event.detail.xhr;
    if (serverSentToast(xhr)) return;
    showToast(messageForStatus(xhr.status), "error");
  });
  document.addEventListener("htmx:sendError", () => {
    showToast("Could not reach the server. Check your connection and try again.", "error");
  });
  document.addEventListener("htmx:timeout", () => {
    showToast("The server took too long to answer. Please try again.", "error");
  });
  document.addEventListener("htmx:swapError", () => {
    showToast("The page could not be updated. Reload it to continue.", "error");
  });
}
