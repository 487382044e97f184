// Dropdown menus on <details data-dropdown>: one open at a time, closed by Esc or a
// click elsewhere, arrow keys move between the items.
const OPEN = "details[data-dropdown][open]";

function items(menu) {
  return Array.from(menu.querySelectorAll(".dropdown__item")).filter((el) => !el.disabled);
}

export function initDropdowns() {
  document.addEventListener("click", (event) => {
    document.querySelectorAll(OPEN).forEach((details) => {
      if (!details.contains(event.target)) details.open = false;
    });
  });
  document.addEventListener("toggle", (event) => {
    const details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.matches("[data-dropdown]") || !details.open) return;
    document.querySelectorAll(OPEN).forEach((other) => {
      if (other !== details && !other.contains(details)) other.open = false;
    });
  }, true);
  document.addEventListener("keydown", (event) => {
    const details = event.target.closest?.(OPEN);
    if (!details) return;
    if (event.key === "Escape") {
      details.open = false;
      details.querySelector("summary").focus();
      event.preventDefault();
      return;
    }
    if (!["ArrowDown", "ArrowUp", "Home", "End"].includes(event.key)) return;
    const list = items(details);
    if (!list.length) return;
    event.preventDefault();
    const index = list.indexOf(document.activeElement);
    let next = 0;
    if (event.key === "ArrowDown") next = index < 0 ? 0 : (index + 1) % list.length;
    if (event.key === "ArrowUp") next = index <= 0 ? list.length - 1 : index - 1;
    if (event.key === "End") next = list.length - 1;
    list[next].focus();
  });
}
