// Tabs (components/tabs.html): arrow keys, Home and End move between tabs and select
// them; the tabs themselves are links that htmx loads.
export function initTabs() {
  document.addEventListener("keydown", (event) => {
    const tab = event.target.closest?.("[data-tabs] [role=tab]");
    if (!tab || !["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) return;
    const tabs = Array.from(tab.closest("[data-tabs]").querySelectorAll("[role=tab]"));
    const index = tabs.indexOf(tab);
    let next = index;
    if (event.key === "ArrowRight") next = (index + 1) % tabs.length;
    if (event.key === "ArrowLeft") next = (index - 1 + tabs.length) % tabs.length;
    if (event.key === "Home") next = 0;
    if (event.key === "End") next = tabs.length - 1;
    event.preventDefault();
    tabs[next].focus();
    tabs[next].click();
  });
}
