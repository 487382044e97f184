// Live dashboards over htmx's ws extension (which reconnects with full-jitter backoff on
// abnormal closes). On every (re)connect the page asks for the current state, because
// the channel layer delivers at most once; a heartbeat keeps presence accurate; a small
// status line says "reconnecting" while the socket is down. Without websockets the page
// simply stays as rendered.
const HEARTBEAT_MS = 25000;
const timers = new WeakMap();

function status(root, text) {
  const line = root.querySelector("[data-live-status]");
  if (!line) return;
  line.textContent = text;
  line.hidden = !text;
}

document.addEventListener("htmx:wsOpen", (event) => {
  const root = event.target.closest("[data-live]") || event.target;
  const socket = event.detail.socketWrapper;
  status(root, "");
  root.dataset.liveState = "open";
  socket.send(JSON.stringify({ action: "sync", payload: {} }));
  clearInterval(timers.get(root));
  timers.set(
    root,
    setInterval(() => socket.send(JSON.stringify({ action: "heartbeat", payload: {} })), HEARTBEAT_MS),
  );
});

document.addEventListener("htmx:wsClose", (event) => {
  const root = event.target.closest("[data-live]") || event.target;
  clearInterval(timers.get(root));
  root.dataset.liveState = "closed";
  const code = event.detail.event && event.detail.event.code;
  // 1006/1012/1013 are retried by the extension; our own 44xx codes are final.
  status(root, code >= 4000 ? "Live updates stopped. Reload the page to resume." : "Reconnecting…");
});

// A live message carries fragments for every panel any page may show (hx-swap-oob by
// id); a page that lacks one of those panels drops that fragment instead of making htmx
// report "oobErrorNoTarget". A kept fragment with data-live-event="name" also fires the
// DOM event "live:name" on the body once the message is swapped (the documents library
// refreshes its table on "live:documents"). An item an "afterbegin"/"beforeend"
// fragment adds that the page already shows (by id) is dropped: the resync after a
// (re)connect may already have brought it, and it would show twice.
const pendingEvents = new WeakMap();
const ADDING_SWAPS = new Set(["afterbegin", "beforeend"]);

function defineLiveTargets() {
  if (!window.htmx) return;
  window.htmx.defineExtension("live-targets", {
    transformResponse(text, xhr, element) {
      const template = document.createElement("template");
      template.innerHTML = text;
      const names = [];
      for (const fragment of Array.from(template.content.children)) {
        const selector = (fragment.getAttribute("hx-swap-oob") || "").split(":")[1];
        const target = selector ? document.querySelector(selector) : fragment.id && document.getElementById(fragment.id);
        if (!target) {
          fragment.remove();
          continue;
        }
        const swap = (fragment.getAttribute("hx-swap-oob") || "").split(":")[0];
        if (ADDING_SWAPS.has(swap)) {
          for (const item of Array.from(fragment.children)) {
            if (item.id && document.getElementById(item.id)) item.remove();
          }
        }
        if (fragment.dataset.liveEvent) names.push(fragment.dataset.liveEvent);
      }
      if (names.length) pendingEvents.set(element, names);
      return template.innerHTML;
    },
  });
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", defineLiveTargets);
} else {
  defineLiveTargets();
}

document.addEventListener("htmx:wsAfterMessage", (event) => {
  const names = pendingEvents.get(event.target) || [];
  pendingEvents.delete(event.target);
  for (const name of names) document.body.dispatchEvent(new CustomEvent(`live:${name}`));
});

// Relative times ("just now", "5 minutes ago") stay true while the page is open.
const UNITS = [
  ["year", 31536000],
  ["month", 2592000],
  ["week", 604800],
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
];

export function relativeTime(date, now = Date.now()) {
  const seconds = Math.round((now - date.getTime()) / 1000);
  if (seconds < 60) return "just now";
  for (const [unit, size] of UNITS) {
    if (seconds >= size) {
      const count = Math.floor(seconds / size);
      return `${count} ${unit}${count === 1 ? "" : "s"} ago`;
    }
  }
  return "just now";
}

function refreshTimes() {
  for (const element of document.querySelectorAll("time[data-relative]")) {
    const date = new Date(element.getAttribute("datetime"));
    if (!Number.isNaN(date.getTime())) element.textContent = relativeTime(date);
  }
}
// On load too: the overview's panels may come from the cache, rendered a while ago.
refreshTimes();
document.addEventListener("htmx:afterSettle", refreshTimes);
setInterval(refreshTimes, 30000);
document.addEventListener("htmx:wsAfterMessage", refreshTimes);
