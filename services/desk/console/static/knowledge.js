// The Knowledge base page (knowledge.html): add, edit and retire entries through /api/knowledge with
// the session's CSRF token, then reload. An edit sends the version the page showed, so a change
// someone made meanwhile is refused (409) rather than overwritten; the API's `detail` is shown.

const messages = JSON.parse(document.getElementById("messages")?.textContent ?? "{}");
const error = document.getElementById("kb-error");

function fail(text) {
  error.textContent = text;
  error.hidden = false;
  error.scrollIntoView({ block: "nearest" });
}

async function call(method, url, body) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: {
      "Content-Type": "application/json",
      "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]')?.content ?? "",
    },
    body: JSON.stringify(body),
  });
  if (response.status === 401) {
    window.location.assign("/?expired=1");
    return;
  }
  if (!response.ok) {
    const data = await response.json().catch(() => ({}));
    if (typeof data.detail === "string") throw new Error(data.detail);
    const fields = Array.isArray(data.detail) ? data.detail.map((d) => d.loc?.at(-1)).join(", ") : "";
    throw new Error(`${messages["js.error"] ?? "error"}${fields ? ` (${fields})` : ""}`);
  }
  window.location.reload();
}

function entryOf(form) {
  const value = (name) => form.elements[name]?.value.trim() ?? "";
  const body = {
    lang: value("lang"),
    topic: value("topic"),
    title: value("title"),
    questions: value("questions").split("\n").map((line) => line.trim()).filter(Boolean),
    answer: value("answer"),
    legal_basis: value("legal_basis") || null,
    checked_on: value("checked_on") || null,
  };
  if (form.dataset.version) body.version = Number(form.dataset.version);
  else body.id = value("id");
  return body;
}

document.querySelectorAll("form.kb-form").forEach((form) => {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await call(form.dataset.method, form.dataset.url, entryOf(form));
    } catch (problem) {
      fail(problem.message);
      button.disabled = false;
    }
  });
});

document.querySelectorAll("button.kb-retire").forEach((button) => {
  button.addEventListener("click", async () => {
    if (!window.confirm(messages["js.kb_retire_confirm"] ?? "?")) return;
    button.disabled = true;
    try {
      await call("POST", button.dataset.url, { version: Number(button.dataset.version) });
    } catch (problem) {
      fail(problem.message);
      button.disabled = false;
    }
  });
});
