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
