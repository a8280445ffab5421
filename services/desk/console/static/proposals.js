// A proposal's page (proposals_detail.html): the status change form, writing the official answer and
// approving it. Each sends its change to the API with the session's CSRF token, then reloads; the API
// checks the role, the reason, the allowed moves and the four-eyes rule, and its `detail` is shown as
// it is when it refuses. Nothing here parses HTML: texts go in with textContent.

const messages = JSON.parse(document.getElementById("messages")?.textContent ?? "{}");
const root = document.getElementById("proposal");
const proposalUrl = `/api/proposals/${encodeURIComponent(root?.dataset.proposalId ?? "")}`;

function show(errorId, text) {
  const error = document.getElementById(errorId);
  error.textContent = text;
  error.hidden = false;
}

async function send(url, body, errorId, button) {
  button.disabled = true;
  try {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]')?.content ?? "",
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) {
      window.location.assign("/?expired=1");
      return;
    }
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      show(errorId, typeof data.detail === "string" ? data.detail : messages["js.error"] ?? "error");
      return;
    }
    window.location.reload();
  } catch {
    show(errorId, messages["js.error"] ?? "error");
  } finally {
    button.disabled = false;
  }
}

function changeStatus(event) {
  event.preventDefault();
  const reason = document.getElementById("status-reason").value.trim();
  if (!reason) {
    show("status-error", messages["js.reason_required"] ?? "reason");
    return;
  }
  const status = document.getElementById("status-new").value;
  const body = { status, reason, expected: root.dataset.status };
  send(`${proposalUrl}/status`, body, "status-error", event.submitter ?? event.target.querySelector("button"));
}

function writeAnswer(event) {
  event.preventDefault();
  const text = document.getElementById("answer-new").value.trim();
  if (!text) {
    show("answer-error", messages["js.answer_required"] ?? "text");
    return;
  }
  send(`${proposalUrl}/answer`, { text }, "answer-error", event.submitter ?? event.target.querySelector("button"));
}

function approveAnswer(event) {
  const panel = document.getElementById("official-answer");
  const id = encodeURIComponent(panel.dataset.draftId);
  const url = panel.dataset.scope === "cluster" ? `/api/cluster-drafts/${id}/approve` : `/api/drafts/${id}/approve`;
  send(url, undefined, "answer-error", event.currentTarget);
}

if (root) {
  document.getElementById("status-form")?.addEventListener("submit", changeStatus);
  document.getElementById("answer-form")?.addEventListener("submit", writeAnswer);
  document.getElementById("answer-approve")?.addEventListener("click", approveAnswer);
}
