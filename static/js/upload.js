// File upload (components/upload.html): each file is its own request, so each has its
// own progress bar and result. XMLHttpRequest because fetch() cannot report upload
// progress. The server answers each file with an HTML fragment (2xx: stored, 4xx: why
// not), shown under that file's bar.
import { messageForStatus } from "./errors.js";

const PARALLEL = 2;

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function createItem(list, file) {
  const item = document.createElement("li");
  item.className = "upload__item";
  const name = document.createElement("span");
  name.className = "upload__name";
  name.textContent = file.name;
  const status = document.createElement("span");
  status.className = "upload__status";
  status.textContent = "Waiting";
  const bar = document.createElement("progress");
  bar.className = "upload__progress";
  bar.max = 100;
  bar.value = 0;
  bar.setAttribute("aria-label", `Upload progress of ${file.name}`);
  const result = document.createElement("p");
  result.className = "upload__result";
  item.append(name, status, bar, result);
  list.append(item);
  return item;
}

function finish(item, ok, html, fallback) {
  item.classList.add(ok ? "upload__item--done" : "upload__item--error");
  item.querySelector(".upload__status").textContent = ok ? "Done" : "Failed";
  const bar = item.querySelector(".upload__progress");
  if (ok) bar.value = 100;
  else bar.remove();
  const result = item.querySelector(".upload__result");
  if (html && html.trim()) {
    const template = document.createElement("template");
    template.innerHTML = html;
    result.replaceWith(template.content);
    if (window.htmx) window.htmx.process(item);
  } else {
    result.textContent = fallback || "";
  }
}

function send(form, file, item) {
  return new Promise((resolve) => {
    const data = new FormData();
    form.querySelectorAll("input[type=hidden]").forEach((input) => data.append(input.name, input.value));
    const input = form.querySelector("input[type=file]");
    data.append(input.name, file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    const token = form.querySelector("input[name=csrfmiddlewaretoken]")?.value;
    if (token) xhr.setRequestHeader("X-CSRFToken", token);
    xhr.setRequestHeader("HX-Request", "true");
    xhr.setRequestHeader("X-Upload", "file");
    const status = item.querySelector(".upload__status");
    const bar = item.querySelector(".upload__progress");
    xhr.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      const percent = Math.round((event.loaded / event.total) * 100);
      bar.value = percent;
      status.textContent = `${percent}%`;
    });
    xhr.addEventListener("load", () => {
      const ok = xhr.status >= 200 && xhr.status < 300;
      finish(item, ok, xhr.responseText, ok ? "" : messageForStatus(xhr.status));
      resolve(ok);
    });
    xhr.addEventListener("error", () => {
      finish(item, false, "", "Could not reach the server. Check your connection and try again.");
      resolve(false);
    });
    status.textContent = "0%";
    xhr.send(data);
  });
}

async function uploadAll(form, files) {
  const list = form.querySelector(".upload__list");
  const max = Number(form.dataset.maxSize || 0);
  const queue = [];
  for (const file of files) {
    const item = createItem(list, file);
    if (max && file.size > max) {
      finish(item, false, "", `${file.name} is ${formatSize(file.size)}; the limit is ${formatSize(max)}.`);
    } else {
      queue.push([file, item]);
    }
  }
  const workers = Array.from({ length: Math.min(PARALLEL, queue.length) }, async () => {
    while (queue.length) {
      const [file, item] = queue.shift();
      await send(form, file, item);
    }
  });
  await Promise.all(workers);
  const target = form.dataset.uploadTarget && document.getElementById(form.dataset.uploadTarget);
  (target || form).dispatchEvent(new CustomEvent("ui:uploaded", { bubbles: true }));
}

function enhance(form) {
  if (form.dataset.enhanced) return;
  form.dataset.enhanced = "true";
  form.classList.add("upload--enhanced");
  const input = form.querySelector("input[type=file]");
  const zone = form.querySelector("[data-upload-dropzone]");
  input.addEventListener("change", () => {
    const files = Array.from(input.files);
    input.value = "";
    if (files.length) uploadAll(form, files);
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (event) => {
      event.preventDefault();
      form.classList.add("upload--dragging");
    });
  }
  for (const name of ["dragleave", "drop"]) {
    zone.addEventListener(name, () => form.classList.remove("upload--dragging"));
  }
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    const files = Array.from(event.dataTransfer?.files || []);
    if (files.length) uploadAll(form, input.multiple ? files : files.slice(0, 1));
  });
}

export function enhanceUploads(root) {
  if (root.matches?.("form[data-upload]")) enhance(root);
  root.querySelectorAll?.("form[data-upload]").forEach(enhance);
}

