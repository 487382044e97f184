// Entry point: small modules for what htmx cannot do on its own. No build step.
import { initToasts } from "./toasts.js";
import { initErrors } from "./errors.js";
import { initTheme } from "./theme.js";
import { initModal } from "./modal.js";
import { initConfirm } from "./confirm.js";
import { initDropdowns } from "./dropdown.js";
import { initTabs } from "./tabs.js";
import { initSidebar } from "./sidebar.js";
import { enhanceUploads } from "./upload.js";

initToasts();
initErrors();
initTheme();
initModal();
initConfirm();
initDropdowns();
initTabs();
initSidebar();

// Components that need per-element set-up: the page now, then whatever htmx adds.
enhanceUploads(document);
document.addEventListener("htmx:load", (event) => enhanceUploads(event.target));
document.documentElement.dataset.js = "ready";
