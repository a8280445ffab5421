// A proposal's status change form (proposals_detail.html): sends the change to the API with the
// session's CSRF token and the status the page showed, then reloads. The API checks the role, the
// reason and the allowed moves; its `detail` is shown as it is when it refuses.

const messages = JSON.parse(document.getElementById("messages")?.textContent ?? "{}");
const root = document.getElementById("proposal");
const form = document.getElementById("status-form");
const error = document.getElementById("status-error");

function fail(text) {
  error.textContent = text;
  error.hidden = false;
}

async function submit(event) {
  event.preventDefault();
  const reason = document.getElementById("status-reason").value.trim();
  if (!reason) {
    fail(messages["js.reason_required"] ?? "reason");
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const response = await fetch(`/api/proposals/${encodeURIComponent(root.dataset.proposalId)}/status`, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]')?.content ?? "",
      },
      body: JSON.stringify({
        status: document.getElementById("status-new").value,
        reason,
        expected: root.dataset.status,
      }),
    });
    if (response.status === 401) {
      window.location.assign("/?expired=1");
      return;
    }
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      fail(typeof data.detail === "string" ? data.detail : messages["js.error"] ?? "error");
      return;
    }
    window.location.reload();
  } catch {
    fail(messages["js.error"] ?? "error");
  } finally {
    button.disabled = false;
  }
}

if (root && form && error) form.addEventListener("submit", submit);
