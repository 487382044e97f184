// Sidebar: collapse to icons on wide screens (remembered in a cookie that the server
// reads, so the next page renders collapsed with no jump), open as a panel on phones.
const YEAR = 60 * 60 * 24 * 365;

export function initSidebar() {
  document.addEventListener("click", (event) => {
    const shell = document.getElementById("shell");
    if (!shell) return;
    const collapse = event.target.closest("[data-sidebar-collapse]");
    if (collapse) {
      const collapsed = shell.classList.toggle("shell--collapsed");
      collapse.setAttribute("aria-expanded", String(!collapsed));
      document.cookie = `sidebar=${collapsed ? "collapsed" : "expanded"}; path=/; max-age=${YEAR}; SameSite=Lax`;
      return;
    }
    const opener = event.target.closest("[data-sidebar-open]");
    if (opener) {
      event.preventDefault();
      const open = shell.classList.toggle("shell--nav-open");
      opener.setAttribute("aria-expanded", String(open));
      if (open) shell.querySelector(".sidebar a, .sidebar button")?.focus();
      return;
    }
    if (shell.classList.contains("shell--nav-open") && !event.target.closest(".sidebar")) {
      shell.classList.remove("shell--nav-open");
    }
  });
  document.addEventListener("keydown", (event) => {
    const shell = document.getElementById("shell");
    if (event.key === "Escape" && shell?.classList.contains("shell--nav-open")) {
      shell.classList.remove("shell--nav-open");
      shell.querySelector("[data-sidebar-open]")?.focus();
    }
  });
}
