// hub incident page: /api/incident as a picture (events on a time axis by source, the incident
// shaded, commits joining their events) and the Markdown draft. Text goes in as text only.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 1200;
const LANE = 44;
const LEFT = 110;
const RIGHT = 24;
const TOP = 28;
const COLORS = { info: "#6b7385", success: "#1f8a4c", warning: "#c98a00", error: "#d1352b", critical: "#8e1b8e" };

const $ = (id) => document.getElementById(id);

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

const clock = (ms) => new Date(ms).toISOString().slice(11, 19);

function ticks(start, end, count) {
  const steps = [10, 30, 60, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400].map((s) => s * 1000);
  const step = steps.find((s) => (end - start) / s <= count) || steps[steps.length - 1];
  const out = [];
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) out.push(t);
  return out;
}

function draw(report) {
  const chart = $("chart");
  const lanes = [...new Set(report.timeline.map((item) => item.source))];
  const height = TOP + lanes.length * LANE + 30;
  chart.setAttribute("viewBox", `0 0 ${WIDTH} ${height}`);
  chart.setAttribute("height", String(height));
  // From the first event shown (the window may open long before it) to the end, padded.
  const times = report.timeline.map((item) => Date.parse(item.time));
  const first = Math.min(Date.parse(report.start), ...times);
  const last = Math.max(Date.parse(report.end), ...times);
  const pad = Math.max(5000, (last - first) * 0.04);
  const start = first - pad;
  const end = last + pad;
  const x = (iso) => LEFT + ((Date.parse(iso) - start) / (end - start)) * (WIDTH - LEFT - RIGHT);
  const y = (source) => TOP + lanes.indexOf(source) * LANE + LANE / 2;
  const parts = [];
  const spanX = x(report.start);
  parts.push(
    svg("rect", { class: "span", x: spanX, y: TOP - 6, width: Math.max(2, x(report.end) - spanX), height: lanes.length * LANE + 12 }),
    svg(
      "text",
      { class: "span-label", x: spanX + 4, y: TOP - 10, "text-anchor": spanX > WIDTH - 200 ? "end" : "start" },
      `incident · ${report.duration}`,
    ),
  );
  lanes.forEach((source) => {
    parts.push(
      svg("line", { class: "lane", x1: LEFT, x2: WIDTH - RIGHT, y1: y(source), y2: y(source) }),
      svg("text", { class: "lane-label", x: LEFT - 10, y: y(source) + 4 }, source),
    );
  });
  for (const t of ticks(start, end, 8)) {
    const at = x(new Date(t).toISOString());
    parts.push(
      svg("line", { class: "tick", x1: at, x2: at, y1: TOP, y2: height - 24 }),
      svg("text", { class: "tick-label", x: at, y: height - 8 }, clock(t).slice(0, 5)),
    );
  }
  const byId = new Map(report.timeline.map((item) => [item.id, item]));
  for (const group of report.groups) {
    const points = group.events.map((id) => byId.get(id)).map((item) => `${x(item.time)},${y(item.source)}`);
    parts.push(svg("polyline", { class: "commit", points: points.join(" "), "data-commit": group.commit }, svg("title", {}, group.line)));
  }
  for (const item of report.timeline) {
    const dot = svg(
      "circle",
      {
        class: `event kind-${item.kind}${item.reason === "incident" ? " own" : ""}`,
        cx: x(item.time),
        cy: y(item.source),
        r: item.reason === "incident" ? 8 : 6,
        fill: COLORS[item.severity] || COLORS.info,
        "data-id": item.id,
      },
      svg("title", {}, `${clock(Date.parse(item.time))} ${item.title}\n${item.kind} · ${item.reason}`),
    );
    parts.push(item.url ? svg("a", { href: item.url, target: "_blank", rel: "noopener noreferrer" }, dot) : dot);
  }
  chart.replaceChildren(...parts);
}

function show(report) {
  $("title").textContent = report.title;
  const last = report.timeline.find((item) => item.id === report.last_change);
  $("facts").textContent = [
    `${report.resolved ? "Resolved after" : "Open for"} ${report.duration}`,
    `began ${clock(Date.parse(report.start))} UTC`,
    `${report.timeline.length} related events`,
    last ? `last change before it: ${last.title}` : "no change before it",
  ].join(" · ");
  draw(report);
  $("draft").value = report.markdown;
  document.title = `hub · ${report.title}`;
}

async function load() {
  const params = new URLSearchParams(location.search);
  const key = params.get("key");
  if (!key) {
    $("state").dataset.state = "error";
    $("state").textContent = "no incident named: open this page from an event";
    return;
  }
  const query = new URLSearchParams({ key });
  if (params.get("before")) query.set("before", params.get("before"));
  const response = await fetch(`api/incident?${query}`, { credentials: "same-origin" });
  const body = await response.json();
  if (!response.ok) {
    $("state").dataset.state = "error";
    $("state").textContent = body.message || `not available (${response.status})`;
    return;
  }
  show(body);
  $("state").dataset.state = "live";
  $("state").textContent = "ready";
}

$("copy").addEventListener("click", async () => {
  const draft = $("draft");
  try {
    await navigator.clipboard.writeText(draft.value);
  } catch {
    draft.select();
    document.execCommand("copy");
  }
  $("copied").textContent = "copied";
});

load().catch((error) => {
  $("state").dataset.state = "error";
  $("state").textContent = error.message;
});
