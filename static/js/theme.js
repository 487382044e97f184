// Theme toggle: the server renders <html data-theme>; this switches it at once when a
// toggle button is pressed (the form still posts to save the choice) and when the server
// confirms with HX-Trigger {"ui:theme": "dark"}.
const THEMES = ["light", "dark", "system"];

export function applyTheme(theme) {
  if (!THEMES.includes(theme)) return;
  document.documentElement.dataset.theme = theme;
  document.querySelectorAll("[data-theme-toggle] button[name=theme]").forEach((button) => {
    button.setAttribute("aria-pressed", String(button.value === theme));
  });
}

export function initTheme() {
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-theme-toggle] button[name=theme]");
    if (button && window.htmx) applyTheme(button.value);
  });
  document.addEventListener("ui:theme", (event) => {
    const detail = event.detail || {};
    applyTheme(detail.value ?? detail.theme);
  });
}
