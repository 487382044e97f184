// Wagtail's admin starts its date and time pickers and its inline panels with inline
// scripts, which the Content Security Policy (script-src 'self' plus a nonce) refuses.
// The project's copies of those templates (templates/wagtailadmin/) write the same call
// as data instead: <script type="application/json" data-admin-init="initDateChooser"
// data-target="id_starts_at" data-options="{...}">. This file makes the calls, for the
// page as served and for everything added later (inline panel rows, dialogs, filters
// refreshed in place), in document order, once per element.
const CALLS = {
  initDateChooser: (element, options) => window.initDateChooser(element.dataset.target, options),
  initTimeChooser: (element, options) => window.initTimeChooser(element.dataset.target, options),
  initDateTimeChooser: (element, options) =>
    window.initDateTimeChooser(element.dataset.target, options),
  InlinePanel: (element, options) => new window.InlinePanel(options),
  MultipleChooserPanel: (element, options) => new window.MultipleChooserPanel(options),
};
const started = new WeakSet();

function start(root) {
  const found = [];
  if (root.matches && root.matches("[data-admin-init]")) found.push(root);
  if (root.querySelectorAll) found.push(...root.querySelectorAll("[data-admin-init]"));
  for (const element of found) {
    const name = element.dataset.adminInit;
    // Not yet loaded (a dialog's own scripts still on their way): the next change retries.
    if (started.has(element) || !CALLS[name] || typeof window[name] !== "function") {
      continue;
    }
    started.add(element);
    CALLS[name](element, JSON.parse(element.dataset.options || "{}"));
  }
}

start(document);
new MutationObserver((changes) => {
  for (const change of changes) change.addedNodes.forEach(start);
}).observe(document.documentElement, { childList: true, subtree: true });
