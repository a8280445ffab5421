// The case screen's cluster panel (case_cluster.html): leave cases out of a cluster draft, approve or
// reject it. Each change names the cluster draft's version (If-Match): if a case joined the cluster
// or changed since the page was shown, the server refuses (409) and the page reloads to show it.

const messages = JSON.parse(document.getElementById("messages")?.textContent ?? "{}");
const t = (key) => messages[key] ?? key;
const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

async function send(method, url, version, body) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf(), "If-Match": version },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) window.location.assign("/?expired=1");
  const data = await response.json().catch(() => ({}));
  if (response.status === 409 && data.code === "stale_version") {
    window.setTimeout(() => window.location.reload(), 1500);
    throw new Error(t("js.stale"));
  }
  if (!response.ok) throw new Error(typeof data.detail === "string" ? data.detail : t("js.error"));
  return data;
}

function showError(problem) {
  const line = document.getElementById("cluster-error");
  if (!line) return;
  line.textContent = problem instanceof Error ? problem.message : String(problem);
  line.hidden = false;
}

// After an approval, what each case got: left out ones with the reason.
function showResults(draft) {
  const left = (draft.results ?? []).filter((r) => r.outcome !== "approved");
  if (left.length === 0) return false;
  showError(left.map((r) => `${r.case_id}: ${r.reason ?? r.outcome}`).join("\n"));
  return true;
}

function initClusterDraft(article) {
  const base = `/api/cluster-drafts/${encodeURIComponent(article.dataset.clusterDraft)}`;
  let version = article.dataset.version;
  const boxes = () => [...article.querySelectorAll("input[name=covered]:not(:disabled)")];
  const unticked = () => boxes().filter((box) => !box.checked).map((box) => box.value);
  const shown = JSON.stringify(unticked());
  // Cases unticked and not saved yet are left out first, so the approval covers what the page shows.
  const saveCovered = async () => {
    if (JSON.stringify(unticked()) === shown) return;
    version = (await send("PUT", `${base}/excluded`, version, { excluded_case_ids: unticked() })).version;
  };
  const act = async (button, step) => {
    if (button) button.disabled = true;
    try {
      const draft = await step();
      if (!showResults(draft)) window.location.reload();
      else window.setTimeout(() => window.location.reload(), 4000);
    } catch (problem) {
      showError(problem);
      if (button) button.disabled = false;
    }
  };
  article.querySelector("button.save-covered")?.addEventListener("click", (event) => {
    act(event.target, () => send("PUT", `${base}/excluded`, version, { excluded_case_ids: unticked() }));
  });
  article.querySelector("button.approve-cluster")?.addEventListener("click", (event) => {
    act(event.target, async () => {
      if (article.dataset.status === "pending") await saveCovered();
      return send("POST", `${base}/approve`, version);
    });
  });
  article.querySelector("form.reject-cluster")?.addEventListener("submit", (event) => {
    event.preventDefault();
    const comment = event.target.elements.comment.value.trim();
    if (!comment) return showError(t("js.comment_required"));
    act(null, () => send("POST", `${base}/reject`, version, { comment }));
  });
}

document.querySelectorAll("article.cluster-draft").forEach(initClusterDraft);
