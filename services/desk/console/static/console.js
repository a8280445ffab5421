// The console's only script (an ES module; the CSP allows no inline code). Citizen text is only
// ever put into the page with textContent or form values, never parsed as HTML here; fragments
// that replace parts of the page come from the server's autoescaped templates.

const messages = JSON.parse(document.getElementById("messages")?.textContent ?? "{}");

function t(key, values = {}) {
  const text = messages[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

// A page reloading after its own change ignores the live update that change also causes (a second
// reload would abort whatever the user does next).
let leaving = false;

function reload() {
  leaving = true;
  window.location.reload();
}

function toLogin() {
  window.location.assign("/?expired=1");
}

class ApiError extends Error {}

// A change on the case screen names the case version it was based on; the server refuses it (409,
// code stale_version) if someone else changed the case since.
const STALE = "stale_version";
const KEPT_DRAFT = "jauap.keptDraft";

function caseVersion() {
  return document.getElementById("case")?.dataset.version;
}

function onStale() {
  const text = document.getElementById("draft-text");
  const root = document.getElementById("case");
  if (text?.value.trim() && root) {
    // What was being typed survives the reload.
    const kept = { caseId: root.dataset.caseId, text: text.value, private: answersPrivately() };
    window.sessionStorage.setItem(KEPT_DRAFT, JSON.stringify(kept));
  }
  const banner = document.getElementById("stale");
  if (banner) banner.hidden = false;
  window.setTimeout(() => reload(), 1500);
}

async function api(method, url, body, extraHeaders = {}) {
  const headers = { "Content-Type": "application/json", "X-CSRF-Token": csrfToken(), ...extraHeaders };
  const version = caseVersion();
  if (version) headers["If-Match"] = version;
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    toLogin();
    throw new ApiError(t("js.expired"));
  }
  const data = await response.json().catch(() => ({}));
  if (response.status === 409 && data.code === STALE) {
    onStale();
    throw new ApiError(t("js.stale"));
  }
  if (!response.ok) {
    const detail = typeof data.detail === "string" ? data.detail : t("js.error");
    throw new ApiError(detail);
  }
  return data;
}

function newKey() {
  // getRandomValues also works on plain HTTP, where crypto.randomUUID does not exist.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function showError(element, error) {
  if (!element) return;
  element.textContent = error instanceof Error ? error.message : String(error);
  element.hidden = false;
}

// Server-sent events: `changed` when what the page shows changed, `expired` when the session ended.
// The server closes each stream after a while; we reconnect with the last fingerprint we know.
function listen(query, fingerprint, onChange, onPresence) {
  let since = fingerprint;
  const open = () => {
    const params = new URLSearchParams(typeof query === "function" ? query() : query);
    params.set("since", since);
    const source = new EventSource(`/console/events?${params}`);
    source.addEventListener("changed", (event) => {
      since = JSON.parse(event.data).fingerprint;
      if (!leaving) onChange();
    });
    source.addEventListener("presence", (event) => onPresence?.(JSON.parse(event.data)));
    source.addEventListener("expired", () => {
      source.close();
      toLogin();
    });
    source.addEventListener("error", () => {
      source.close();
      window.setTimeout(open, 1500);
    });
  };
  open();
}

// --- queue ---------------------------------------------------------------------------------------

function initQueue() {
  const filters = document.getElementById("filters");
  filters?.querySelectorAll("select").forEach((select) => {
    select.addEventListener("change", () => filters.requestSubmit());
  });
  document.addEventListener("click", (event) => {
    const row = event.target.closest("tr.case");
    if (!row || event.target.closest("a")) return;
    row.querySelector("td.text a")?.click();
  });
  const list = document.getElementById("queue-list");
  if (!list) return;
  listen(list.dataset.params, list.dataset.fingerprint, async () => {
    const current = document.getElementById("queue-list");
    const response = await fetch(`/queue/rows?${current.dataset.params}`, { credentials: "same-origin" });
    if (response.status === 401) return toLogin();
    if (!response.ok) return;
    const fragment = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = fragment.getElementById("queue-list");
    if (fresh) current.replaceWith(document.adoptNode(fresh));
    if (fresh) loadFacetCounts(fresh);
    reselect();
  });
  loadFacetCounts(list);
}

// Counts per filter value ("Telegram (12)"), asked for after the list so the list never waits.
// The list's fingerprint is part of the request: counts shared between tabs are of the same list.
async function loadFacetCounts(list) {
  const params = new URLSearchParams(list.dataset.params);
  params.set("v", list.dataset.fingerprint);
  const response = await fetch(`/queue/facets?${params}`, { credentials: "same-origin" });
  if (response.ok) showFacetCounts(await response.json());
}

function showFacetCounts(facets) {
  document.querySelectorAll("#filters select[data-facet]").forEach((select) => {
    const counts = facets[select.dataset.facet] ?? {};
    select.querySelectorAll("option[value]:not([value=''])").forEach((option) => {
      const label = option.dataset.label ?? option.textContent;
      option.dataset.label = label;
      const count = counts[option.value];
      const known = count !== undefined || select.dataset.facet !== "status";
      option.textContent = known ? `${label} (${count ?? 0})` : label;
      option.dataset.count = String(count ?? 0);
    });
  });
}

// --- case ----------------------------------------------------------------------------------------

function debounce(fn, ms) {
  let timer;
  return (...args) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => fn(...args), ms);
  };
}

function renderPreview(preview) {
  const head = document.getElementById("preview-head");
  const list = document.getElementById("preview-parts");
  const warning = document.getElementById("pii-warning");
  list.replaceChildren();
  if (preview.parts.length === 0) {
    head.textContent = "";
  } else {
    const unit = t(`js.unit.${preview.unit}`);
    head.textContent = t("js.parts", { n: preview.parts.length, unit });
  }
  for (const part of preview.parts) {
    const item = document.createElement("li");
    const length = document.createElement("span");
    length.className = "part-length";
    length.textContent = preview.max_length ? `${part.length}/${preview.max_length}` : `${part.length}`;
    const text = document.createElement("span");
    text.className = "part-text";
    text.textContent = part.text;
    item.append(length, text);
    list.append(item);
  }
  if (preview.pii.length > 0) {
    const kinds = preview.pii.map((kind) => t(`js.pii.${kind}`)).join(", ");
    warning.textContent = t("js.pii_warning", { kinds });
    warning.hidden = false;
  } else {
    warning.hidden = true;
    warning.textContent = "";
  }
}

// An X mention may be answered by direct message instead of in the public thread (the choice is
// only on the page where the server allows it); the preview and the saved draft follow the choice.
function answersPrivately() {
  return document.querySelector('#reply-route input[name=route][value=private]')?.checked ?? false;
}

function initEditor(root) {
  const text = document.getElementById("draft-text");
  if (!text) return;
  const error = document.getElementById("draft-error");
  const refresh = debounce(async () => {
    try {
      const body = { case_id: root.dataset.caseId, text: text.value, private: answersPrivately() };
      renderPreview(await api("POST", "/console/preview", body));
    } catch (problem) {
      showError(error, problem);
    }
  }, 200);
  text.addEventListener("input", refresh);
  document.querySelectorAll("#reply-route input[name=route]").forEach((radio) => {
    radio.addEventListener("change", refresh);
  });
  document.querySelectorAll("button.use-answer").forEach((button) => {
    button.addEventListener("click", () => {
      text.value = button.dataset.answer;
      text.focus();
      refresh();
    });
  });
  // One Idempotency-Key per draft: Save clicked again after a failure (a network error, a 5xx) with
  // the same draft resends its key, so a first try that reached the store is not saved twice.
  let unsaved = null;
  document.getElementById("save-draft")?.addEventListener("click", async (event) => {
    event.target.disabled = true;
    const body = answersPrivately() ? { text: text.value, private: true } : { text: text.value };
    // "All open cases of the cluster": one draft, approved once, each case answered in its own thread.
    if (document.querySelector("#draft-scope input[value=cluster]")?.checked) body.scope = "cluster";
    if (unsaved?.json !== JSON.stringify(body)) unsaved = { json: JSON.stringify(body), key: newKey() };
    try {
      await api("POST", `${root.dataset.api}/drafts`, body, { "Idempotency-Key": unsaved.key });
      unsaved = null;
      text.value = "";
      reload();
    } catch (problem) {
      showError(error, problem);
      event.target.disabled = false;
    }
  });
}

// An approved answer marked reusable becomes a knowledge-base suggestion (knowledge_api.py); the
// approval stands even when keeping it fails, so that is said instead of reloading.
async function keepForReuse(url, error) {
  try {
    await api("POST", url);
    reload();
  } catch (problem) {
    showError(error, t("js.reusable_failed", { detail: problem.message }));
  }
}

function initApproval() {
  const error = document.getElementById("action-error");
  document.querySelectorAll("button.approve").forEach((button) => {
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await api("POST", button.dataset.url);
        const reuse = button.closest(".approval")?.querySelector("input.reusable");
        if (reuse?.checked) return await keepForReuse(reuse.dataset.url, error);
        reload();
      } catch (problem) {
        showError(error, problem);
        button.disabled = false;
      }
    });
  });
  document.querySelectorAll("form.reject-form").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const comment = form.elements.comment.value.trim();
      if (!comment) return showError(error, t("js.comment_required"));
      try {
        await api("POST", form.dataset.url, { comment });
        reload();
      } catch (problem) {
        showError(error, problem);
      }
    });
  });
}

function initClose(root) {
  const form = document.getElementById("close-form");
  form?.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", `${root.dataset.api}/close`, {
        reason: form.elements.reason.value,
        comment: form.elements.comment.value.trim(),
      });
      reload();
    } catch (problem) {
      showError(document.getElementById("action-error"), problem);
    }
  });
}

function initNotices(root) {
  // Extending drafts the holding reply, forwarding the redirect notice: both wait for approval.
  const post = (form, action, body) =>
    form?.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api("POST", `${root.dataset.api}/${action}`, body(form));
        reload();
      } catch (problem) {
        showError(document.getElementById("action-error"), problem);
      }
    });
  post(document.getElementById("extend-form"), "extend", (form) => ({
    due_date: form.elements.due_date.value,
    reason: form.elements.reason.value.trim(),
  }));
  post(document.getElementById("forward-form"), "forward", (form) => ({ to: form.elements.to.value.trim() }));
  post(document.getElementById("notice-form"), "notice", () => ({}));
}

function initResolve(root) {
  const form = document.getElementById("resolve-form");
  form?.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", `${root.dataset.api}/resolve`, {
        outcome: form.elements.outcome.value,
        comment: form.elements.comment.value.trim(),
      });
      reload();
    } catch (problem) {
      showError(document.getElementById("action-error"), problem);
    }
  });
}

function restoreDraft(root) {
  const kept = window.sessionStorage.getItem(KEPT_DRAFT);
  const text = document.getElementById("draft-text");
  if (!kept) return;
  window.sessionStorage.removeItem(KEPT_DRAFT);
  const { caseId, text: typed, private: privately } = JSON.parse(kept);
  if (text && caseId === root.dataset.caseId && !text.value) {
    text.value = typed;
    const route = document.querySelector(`#reply-route input[value=${privately ? "private" : "public"}]`);
    if (route) route.checked = true;
    text.dispatchEvent(new Event("input"));
  }
}

function initCorrection(root) {
  const form = document.getElementById("correct-form");
  form?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const changes = {};
    form.querySelectorAll("select").forEach((select) => {
      if (select.value !== select.dataset.current) changes[select.name] = select.value || null;
    });
    const error = document.getElementById("correct-error");
    if (Object.keys(changes).length === 0) return showError(error, t("js.nothing_changed"));
    try {
      await api("POST", `${root.dataset.api}/classification`, changes);
      reload();
    } catch (problem) {
      showError(error, problem);
    }
  });
}

function initAssignee(root) {
  const assign = async (assignee) => {
    try {
      await api("POST", `${root.dataset.api}/assignee`, { assignee: assignee || null });
      reload();
    } catch (problem) {
      showError(document.getElementById("action-error"), problem);
    }
  };
  document.querySelectorAll("button.assign").forEach((button) => {
    button.addEventListener("click", () => assign(button.dataset.assignee));
  });
  document.getElementById("assign-select")?.addEventListener("change", (event) => assign(event.target.value));
}

function initCase() {
  const root = document.getElementById("case");
  if (!root) return;
  initEditor(root);
  restoreDraft(root);
  initCorrection(root);
  initAssignee(root);
  initApproval();
  initClose(root);
  initResolve(root);
  initNotices(root);
  // Someone else changed the case: reload, unless that would throw away what this user is typing.
  const drafting = () => Boolean(document.getElementById("draft-text")?.value.trim());
  const query = () => ({
    case: root.dataset.caseId,
    rendered: root.dataset.rendered,
    drafting: drafting() ? "1" : "0",
  });
  const onChange = () => {
    const typing = [...document.querySelectorAll("textarea, input[name=comment]")].some((f) => f.value.trim());
    if (typing) {
      document.getElementById("changed").hidden = false;
    } else {
      reload();
    }
  };
  listen(query, root.dataset.fingerprint, onChange, showPresence);
}

// Who else has this case open: "Also here: marat (writing a draft)".
function showPresence(others) {
  const line = document.getElementById("presence");
  if (!line) return;
  const names = others.map((p) => (p.drafting ? `${p.username} (${t("js.presence_drafting")})` : p.username));
  line.textContent = names.length ? t("js.presence", { names: names.join(", ") }) : "";
  line.hidden = names.length === 0;
  line.dataset.users = others.map((p) => `${p.username}${p.drafting ? ":drafting" : ""}`).join(" ");
}

// --- keyboard -----------------------------------------------------------------------------------
// j/k move through the queue, Enter opens, / searches, r replies, a approves, e closes, ? shows the
// map. Keys typed into a field are the field's, except Escape, which leaves it.

let selectedCaseId = null;

function caseRows() {
  return [...document.querySelectorAll("tr.case")];
}

function select(row) {
  caseRows().forEach((other) => other.classList.toggle("selected", other === row));
  selectedCaseId = row?.dataset.caseId ?? null;
  row?.scrollIntoView({ block: "nearest" });
}

function reselect() {
  const row = caseRows().find((r) => r.dataset.caseId === selectedCaseId);
  if (row) row.classList.add("selected");
}

function move(step) {
  const rows = caseRows();
  if (rows.length === 0) return;
  const at = rows.findIndex((row) => row.dataset.caseId === selectedCaseId);
  const next = at < 0 ? 0 : Math.min(Math.max(at + step, 0), rows.length - 1);
  select(rows[next]);
}

function focus(selector) {
  const element = document.querySelector(selector);
  if (!element) return false;
  element.scrollIntoView({ block: "center" });
  element.focus();
  return true;
}

const shortcuts = {
  j: () => move(1),
  k: () => move(-1),
  Enter: () => caseRows().find((row) => row.classList.contains("selected"))?.querySelector("td.text a")?.click(),
  "/": () => focus("input[name=q]"),
  r: () => focus("#draft-text"),
  a: () => document.querySelector("button.approve")?.click(),
  e: () => focus("#close-form select"),
  "?": () => {
    const keys = document.getElementById("keys");
    if (keys) keys.hidden = !keys.hidden;
  },
};

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const inField = event.target.closest?.("input, textarea, select, [contenteditable]");
  if (event.key === "Escape") {
    if (inField) return event.target.blur();
    const keys = document.getElementById("keys");
    if (keys && !keys.hidden) return void (keys.hidden = true);
    if (document.body.dataset.page === "case") window.location.assign("/queue");
    return;
  }
  if (inField) return;
  const action = shortcuts[event.key];
  if (!action) return;
  event.preventDefault();
  action();
}

// --- accounts (admins) ----------------------------------------------------------------------------

function initUsers() {
  const error = document.getElementById("users-error");
  const run = async (call) => {
    try {
      await call();
      reload();
    } catch (problem) {
      showError(error, problem);
    }
  };
  document.querySelectorAll("button.user-action").forEach((button) => {
    button.addEventListener("click", () => run(() => api("POST", button.dataset.url)));
  });
  document.querySelectorAll("select.set-role").forEach((select) => {
    select.addEventListener("change", () => run(() => api("POST", select.dataset.url, { role: select.value })));
  });
  document.querySelectorAll("form.reset-password").forEach((form) => {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      run(() => api("POST", form.dataset.url, { password: form.elements.password.value }));
    });
  });
  const add = document.getElementById("add-user");
  add?.addEventListener("submit", (event) => {
    event.preventDefault();
    run(() =>
      api("POST", "/api/users", {
        username: add.elements.username.value.trim(),
        role: add.elements.role.value,
        password: add.elements.password.value,
      }),
    );
  });
}

const pages = { queue: initQueue, case: initCase, users: initUsers };
pages[document.body.dataset.page]?.();
if (document.getElementById("keys")) document.addEventListener("keydown", onKey);
