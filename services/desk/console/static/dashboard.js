// The Dashboard page: reads GET /api/dashboard and draws each panel with Chart.js (served by the desk
// from node_modules; the CSP allows no inline code and nothing from another origin). Names shown for
// codes come from the page's labels (its language); citizen text only ever goes in with textContent.

/* global Chart */

const labels = JSON.parse(document.getElementById("dashboard-labels")?.textContent ?? "{}");
const root = document.getElementById("dashboard");
const statusLine = document.getElementById("dash-status");
const charts = {};
// Distinguishable colours, also in grey-scale print; the first ones are the most common series.
const PALETTE = [
  "#0b6bcb", "#e8833a", "#2e9e5b", "#b3261e", "#7b4fc9", "#00a3a3",
  "#c2185b", "#8d6e63", "#5b6576", "#c0ca33", "#1e3a8a", "#f4b400",
];
const OUTCOME_COLOURS = { met: "#2e9e5b", breached: "#e8833a", open_breached: "#b3261e", pending: "#9aa4b2" };

const text = (key) => labels.text?.[key] ?? key;
const named = (group, code) => labels[group]?.[code] ?? code;
const colour = (index) => PALETTE[index % PALETTE.length];
const shortDay = (iso) => `${iso.slice(8, 10)}.${iso.slice(5, 7)}`;

// `hasData`: where a value of 0 is data (answers given within the hour), the panel says so itself.
function draw(panel, config, hasData = null) {
  const canvas = document.getElementById(`chart-${panel}`);
  if (!canvas) return;
  charts[panel]?.destroy();
  charts[panel] = new Chart(canvas, config);
  canvas.dataset.drawn = "true";
  const empty = !(hasData ?? config.data.datasets.some((set) => set.data.some((value) => value)));
  canvas.parentElement.querySelector(".dash-empty").hidden = !empty;
}

function stackedBars(categories, datasets, { horizontal = false, yTitle = "" } = {}) {
  const valueAxis = { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: !!yTitle, text: yTitle } };
  const categoryAxis = { stacked: true, ticks: { autoSkip: true, maxRotation: 0 } };
  return {
    type: "bar",
    data: { labels: categories, datasets },
    options: {
      indexAxis: horizontal ? "y" : "x",
      scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
    },
  };
}

function daily(days, series, group) {
  const datasets = series.map((one, i) => ({
    label: named(group, one.key), data: one.counts, backgroundColor: colour(i),
  }));
  return stackedBars(days.map(shortDay), datasets);
}

function questions(data) {
  const by = document.getElementById("questions-by")?.value ?? "by_channel";
  const group = { by_channel: "channel", by_topic: "topic", by_lang: "lang" }[by];
  draw("questions", daily(data.period.day_list, data.questions[by], group));
}

function answers(data) {
  draw("answers", daily(data.period.day_list, data.answers.by_approver, "approver"));
}

function firstAnswer(data) {
  const rows = data.first_answer;
  const bars = (key, label, i) => ({ label, data: rows.map((r) => r[key]), backgroundColor: colour(i) });
  const config = stackedBars(rows.map((r) => named("channel", r.channel)),
    [bars("median_hours", text("median"), 0), bars("p90_hours", text("p90"), 1)], { yTitle: text("hours") });
  config.options.scales.x.stacked = false;
  config.options.scales.y.stacked = false;
  draw("first_answer", config, rows.some((r) => r.answered > 0));
}

function deadlines(data) {
  const outcomes = Object.keys(OUTCOME_COLOURS);
  const datasets = outcomes.map((o) => ({
    label: named("outcome", o), data: data.deadlines.map((r) => r[o]), backgroundColor: OUTCOME_COLOURS[o],
  }));
  draw("deadlines", stackedBars(data.deadlines.map((r) => named("channel", r.channel)), datasets, { horizontal: true }));
}

function backlog(data) {
  const { buckets, rows } = data.backlog;
  const datasets = buckets.map((bucket, i) => ({
    label: named("age", bucket), data: rows.map((r) => r.by_age[i]), backgroundColor: colour(i),
  }));
  const statuses = rows.map((r) => `${named("status", r.status)} (${r.total})`);
  draw("backlog", stackedBars(statuses, datasets, { horizontal: true, yTitle: text("open_cases") }));
}

function proposals(data) {
  const { rows, total, supporters } = data.proposals;
  const label = text("proposals_total").replace("{n}", total).replace("{supporters}", supporters);
  const dataset = { label, data: rows.map((r) => r.n), backgroundColor: rows.map((_, i) => colour(i)) };
  const config = stackedBars(rows.map((r) => named("proposal", r.status)), [dataset], { horizontal: true });
  config.options.plugins.legend.labels.boxWidth = 0;
  draw("proposals", config);
}

function cell(row, value, { className = "", title = "" } = {}) {
  const td = row.insertCell();
  td.textContent = value ?? "—";
  if (className) td.className = className;
  if (title) td.title = title;
  return td;
}

function header(table, names) {
  const row = table.tHead.insertRow();
  for (const name of names) {
    const th = document.createElement("th");
    th.textContent = name;
    row.append(th);
  }
}

function regions(data) {
  const table = document.getElementById("table-regions");
  table.tHead.replaceChildren();
  table.tBodies[0].replaceChildren();
  header(table, [text("rank"), text("region"), text("questions"), text("answered"), text("median")]);
  const most = Math.max(1, ...data.regions.rows.map((r) => r.questions));
  data.regions.rows.forEach((r, i) => {
    const row = table.tBodies[0].insertRow();
    row.dataset.region = r.region;
    cell(row, String(i + 1), { className: "num" });
    cell(row, named("region", r.region), { title: r.region });
    const count = cell(row, String(r.questions), { className: "num bar-cell" });
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = `${Math.round((100 * r.questions) / most)}%`; // CSSOM, which the CSP allows
    count.prepend(bar);
    cell(row, String(r.answered), { className: "num" });
    cell(row, r.median_hours === null ? null : `${r.median_hours} ${text("hours")}`, { className: "num" });
  });
  const note = table.tBodies[0].insertRow();
  cell(note, "", {});
  cell(note, text("unknown_region"), { className: "muted" });
  cell(note, String(data.regions.unknown), { className: "num muted" });
}

function clusters(data) {
  const table = document.getElementById("table-clusters");
  table.tHead.replaceChildren();
  table.tBodies[0].replaceChildren();
  header(table, [text("questions"), text("channels"), text("first_case")]);
  if (data.clusters.length === 0) {
    cell(table.tBodies[0].insertRow(), text("none"), { className: "empty" }).colSpan = 3;
    return;
  }
  for (const c of data.clusters) {
    const row = table.tBodies[0].insertRow();
    row.dataset.cluster = c.cluster_id;
    cell(row, String(c.questions), { className: "num", title: c.cluster_id });
    const channels = Object.entries(c.channels).map(([ch, n]) => `${named("channel", ch)} ${n}`).join(", ");
    cell(row, channels);
    const first = cell(row, "", { className: "text" });
    if (c.case_id) {
      const link = document.createElement("a");
      link.href = `/case/${encodeURIComponent(c.case_id)}`;
      link.textContent = c.text || c.case_id;
      first.append(link);
    }
  }
}

const PANELS = { questions, first_answer: firstAnswer, deadlines, backlog, answers, proposals, regions, clusters };

async function load() {
  if (typeof Chart === "undefined") {
    statusLine.textContent = text("failed");
    return;
  }
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  const response = await fetch(`/api/dashboard?days=${encodeURIComponent(root.dataset.days)}`, { credentials: "same-origin" });
  if (response.status === 401) {
    window.location.assign("/?expired=1");
    return;
  }
  if (!response.ok) {
    statusLine.textContent = text("failed");
    return;
  }
  const data = await response.json();
  for (const drawPanel of Object.values(PANELS)) drawPanel(data);
  const asOf = new Date(data.period.until).toLocaleTimeString(document.documentElement.lang, {
    hour: "2-digit", minute: "2-digit", timeZone: "Asia/Almaty",
  });
  statusLine.textContent = [text("as_of").replace("{time}", asOf), data.truncated ? text("truncated") : ""].join(" ");
  root.dataset.loaded = "true";
  document.getElementById("questions-by")?.addEventListener("change", () => questions(data));
}

document.getElementById("dash-days")?.addEventListener("change", (event) => event.target.form.submit());
load().catch(() => {
  statusLine.textContent = text("failed");
});
