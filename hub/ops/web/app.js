// hub live events: a snapshot from /api/events, then every change from the /api/stream SSE.
// All event text goes in through textContent; nothing here ever assigns innerHTML.
"use strict";

const MAX_ROWS = 500;
const SNAPSHOT = 200;

const state = {
  rows: new Map(), // id -> {summary, tr}
  ready: false, // the snapshot has been applied; until then stream entries wait in `early`
  early: [],
  paused: false,
  held: [], // entries that arrived while paused
  terms: [],
  selected: null,
};

const $ = (id) => document.getElementById(id);

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key === "data") Object.assign(node.dataset, value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function relative(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 5) return "just now";
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}

function outcomeClass(outcome) {
  if (!outcome || outcome === "pending") return "pending";
  return outcome.startsWith("dead_lettered") ? "failed" : "ok";
}

const chip = (kind, value) => el("span", { class: `chip ${kind}-${value}` }, value);

function row(s) {
  const channels = s.channels.map((c) =>
    el("span", { class: `tag ${outcomeClass(s.deliveries[c])}`, title: s.deliveries[c] || "pending" }, c),
  );
  const tr = el(
    "tr",
    { tabindex: "0", data: { id: s.id, status: s.status, source: s.source, type: s.type } },
    el("td", { class: "c-time" }, el("time", { datetime: s.time, title: s.time }, relative(s.time))),
    el("td", { class: "c-id mono", title: s.id }, s.id.slice(0, 8)),
    el("td", { class: "c-source" }, s.source),
    el("td", { class: "c-type mono" }, s.type),
    el("td", { class: "c-subject", title: s.subject ? `${s.subject}: ${s.title}` : s.title }, s.title),
    el("td", { class: "c-sev" }, chip("sev", s.severity)),
    el("td", { class: "c-routes", title: s.routes.join(", ") }, s.routes.join(", ")),
    el("td", { class: "c-channels" }, channels),
    el("td", { class: "c-status", title: s.silenced_by ? `silenced by ${s.silenced_by}` : null }, chip("status", s.status)),
  );
  tr.hidden = !matches(s);
  if (s.id === state.selected) tr.classList.add("selected");
  return tr;
}

function matches(s) {
  if (!state.terms.length) return true;
  const haystack = [s.type, s.source, s.subject || "", s.title, s.severity, s.status, ...s.channels]
    .join(" ")
    .toLowerCase();
  return state.terms.every((term) => haystack.includes(term));
}

function upsert(s) {
  const tbody = $("rows");
  const known = state.rows.get(s.id);
  const tr = row(s);
  if (known) {
    known.tr.replaceWith(tr);
  } else {
    tr.classList.add("fresh");
    // Newest first: walk down past rows that are newer than this one (usually none).
    let next = tbody.firstElementChild;
    while (next && state.rows.get(next.dataset.id).summary.time > s.time) next = next.nextElementSibling;
    tbody.insertBefore(tr, next);
  }
  state.rows.set(s.id, { summary: s, tr });
  while (state.rows.size > MAX_ROWS) {
    const last = tbody.lastElementChild;
    state.rows.delete(last.dataset.id);
    last.remove();
  }
  if (s.id === state.selected) openDetail(s.id);
}

function receive(s) {
  if (!state.ready) state.early.push(s);
  else if (state.paused) {
    state.held.push(s);
    showPause();
  } else upsert(s);
  showCount();
}

function showCount() {
  const shown = [...state.rows.values()].filter((r) => !r.tr.hidden).length;
  const total = state.rows.size;
  $("count").textContent = state.terms.length ? `${shown} of ${total} events` : `${total} events`;
  $("empty").hidden = shown > 0;
  $("empty").textContent = total ? "No event matches the filter." : "Waiting for events…";
}

function showPause() {
  const button = $("pause");
  button.setAttribute("aria-pressed", String(state.paused));
  button.textContent = state.paused ? `Resume${state.held.length ? ` (${state.held.length} new)` : ""}` : "Pause";
  document.body.classList.toggle("paused", state.paused);
}

function togglePause() {
  state.paused = !state.paused;
  if (!state.paused) {
    const held = state.held;
    state.held = [];
    held.forEach(upsert);
  }
  showPause();
  showCount();
}

function applyFilter() {
  state.terms = $("filter").value.toLowerCase().split(/\s+/).filter(Boolean);
  for (const { summary, tr } of state.rows.values()) tr.hidden = !matches(summary);
  showCount();
}

async function loadSnapshot() {
  state.ready = false;
  const response = await fetch(`api/events?limit=${SNAPSHOT}`, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`api/events answered ${response.status}`);
  const rows = await response.json();
  rows.reverse().forEach(upsert); // oldest first, so each lands on top of the one before
  const early = state.early;
  state.early = [];
  state.ready = true;
  early.forEach(receive); // stream changes seen while the snapshot loaded are newer than it
  showCount();
}

function setConn(name, text) {
  const conn = $("conn");
  conn.dataset.state = name;
  conn.textContent = text;
}

function connect() {
  const source = new EventSource("api/stream");
  source.addEventListener("open", () => {
    setConn("live", "live");
    loadSnapshot().catch((error) => setConn("error", error.message));
  });
  source.addEventListener("entry", (message) => receive(JSON.parse(message.data)));
  source.addEventListener("error", () => {
    state.ready = false;
    if (source.readyState === EventSource.CLOSED) {
      setConn("error", "disconnected — reload the page");
    } else {
      setConn("connecting", "reconnecting…");
    }
  });
}

// ---- detail -------------------------------------------------------------------------------

function section(title, ...content) {
  return el("section", {}, el("h3", {}, title), ...content);
}

function fields(pairs) {
  return el(
    "dl",
    { class: "fields" },
    pairs
      .filter(([, value]) => value !== null && value !== undefined && value !== "")
      .map(([key, value]) => [el("dt", {}, key), el("dd", { class: key === "id" ? "mono" : "" }, value)]),
  );
}

function explanation(detail) {
  if (!detail.explanation.length) {
    return el("p", { class: "muted" }, "No explanation: this process does not run the router.");
  }
  const note = detail.explained_now
    ? el("p", { class: "muted" }, "Explained against the routes loaded now.")
    : null;
  const rows = detail.explanation.map((x) =>
    el(
      "tr",
      { class: x.matched ? "match" : "nomatch" },
      el("td", { class: "mono" }, x.route),
      el("td", {}, el("span", { class: `chip ${x.matched ? "match" : "nomatch"}` }, x.matched ? "MATCH" : "NO-MATCH")),
      el("td", {}, x.reason),
    ),
  );
  return [note, el("table", { class: "explain" }, el("tbody", {}, rows))];
}

function deliveries(detail) {
  const channels = Object.entries(detail.deliveries);
  if (!channels.length) {
    if (detail.silenced_by) return el("p", {}, "Silenced by ", el("span", { class: "mono" }, detail.silenced_by), " (see hub silence list).");
    return el("p", { class: "muted" }, detail.silenced ? "Silenced." : "No route matched: no channel.");
  }
  return el(
    "ul",
    { class: "deliveries" },
    channels.map(([channel, outcome]) =>
      el("li", {}, el("span", { class: `tag ${outcomeClass(outcome)}` }, channel), " ", outcome),
    ),
  );
}

function slackPreview(detail) {
  if (!detail.message || typeof slackMessage !== "function") return null;
  const channel = detail.channels[0];
  const note = detail.channels.length > 1 ? `and ${detail.channels.length - 1} more channel(s)` : channel ? "" : "no channel: not posted";
  return section("In Slack", el("div", { class: "slack-frame" }, slackMessage(detail.message, { channel: channel || "(no channel)", note })));
}

function renderDetail(detail) {
  const e = detail.event;
  $("detail-title").replaceChildren(chip("sev", detail.severity), " ", el("span", { class: "mono" }, e.type));
  const link = e.url ? el("a", { href: e.url, rel: "noopener noreferrer", target: "_blank" }, e.url) : null;
  const labels = Object.entries(e.labels || {});
  $("detail-body").replaceChildren(
    el("p", { class: "detail-title" }, e.title),
    el("p", {}, chip("status", detail.status), " ", detail.silenced_by ? `by silence ${detail.silenced_by} ` : "", link),
    el(
      "p",
      {},
      el(
        "a",
        { id: "incident-link", class: "incident-link", href: `incident?key=${encodeURIComponent(e.id)}` },
        "Incident timeline and after-action draft →",
      ),
    ),
    slackPreview(detail),
    section(
      "Event",
      fields([
        ["id", e.id],
        ["source", e.source],
        ["subject", e.subject],
        ["state", e.state],
        ["actor", e.actor],
        ["repo", e.repo],
        ["branch", e.branch],
        ["threadkey", e.threadkey],
        ["time", e.time],
        ["received", e.receivedat],
      ]),
      e.text ? el("div", { class: "text" }, typeof slackMrkdwn === "function" ? slackMrkdwn(e.text) : e.text) : null,
    ),
    labels.length ? section("Labels", fields(labels)) : null,
    section("Routing", el("p", {}, "Routes: ", detail.routes.join(", ") || "none"), explanation(detail)),
    section("Deliveries", deliveries(detail)),
    section("Raw payload", el("pre", { class: "payload" }, JSON.stringify(e.data, null, 2))),
  );
  $("detail").hidden = false;
}

async function openDetail(id) {
  state.selected = id;
  for (const { tr } of state.rows.values()) tr.classList.toggle("selected", tr.dataset.id === id);
  const response = await fetch(`api/events/${encodeURIComponent(id)}`, { credentials: "same-origin" });
  if (state.selected !== id) return; // another row was clicked meanwhile
  if (!response.ok) {
    $("detail-title").textContent = `Event ${id}`;
    $("detail-body").replaceChildren(el("p", {}, `Not available (${response.status}).`));
    $("detail").hidden = false;
    return;
  }
  renderDetail(await response.json());
}

function closeDetail() {
  state.selected = null;
  $("detail").hidden = true;
  for (const { tr } of state.rows.values()) tr.classList.remove("selected");
}

function init() {
  $("filter").addEventListener("input", applyFilter);
  $("pause").addEventListener("click", togglePause);
  $("close").addEventListener("click", closeDetail);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") closeDetail();
  });
  $("rows").addEventListener("click", (e) => {
    const tr = e.target.closest("tr");
    if (tr) openDetail(tr.dataset.id);
  });
  $("rows").addEventListener("keydown", (e) => {
    const tr = e.target.closest("tr");
    if (tr && e.key === "Enter") openDetail(tr.dataset.id);
  });
  setInterval(() => {
    for (const time of document.querySelectorAll("#rows time")) time.textContent = relative(time.dateTime);
  }, 5000);
  showCount();
  connect();
}

init();
