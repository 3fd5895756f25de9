// hub's Slack messages drawn as Slack shows them: the header line, the attachment's colour bar,
// sections, fields, context, buttons. Used by the live page's drawer and by the screenshots in
// docs/slack-messages.md (scripts/slack_screenshots.py). Text goes in through text nodes only.
"use strict";

const SLACK_EMOJI = {
  information_source: "ℹ️",
  white_check_mark: "✅",
  warning: "⚠️",
  x: "❌",
  rotating_light: "🚨",
  speech_balloon: "💬",
};

function slackNode(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function slackEntities(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function slackDate(target, label) {
  const parts = target.split("^");
  const seconds = Number(parts[1]);
  if (!Number.isFinite(seconds)) return label;
  const when = new Date(seconds * 1000);
  const withDate = parts.length < 3 || parts[2].includes("{date");
  const time = when.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  if (!withDate) return time;
  const date = when.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" });
  return `${date} at ${time}`;
}

// <url|label>, <!here>, <@U1>, <#C1|name>, <!date^…|…> as nodes.
function slackAngle(inner) {
  const bar = inner.indexOf("|");
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? "" : slackEntities(inner.slice(bar + 1));
  if (target.startsWith("!date^")) return slackNode("span", "sl-date", slackDate(target, label));
  if (target.startsWith("!subteam^")) return slackNode("span", "sl-mention", `@${label || target.slice(9)}`);
  if (target.startsWith("!")) return slackNode("span", "sl-mention", `@${target.slice(1)}`);
  if (target.startsWith("@")) return slackNode("span", "sl-mention", `@${label || target.slice(1)}`);
  if (target.startsWith("#")) return slackNode("span", "sl-mention", `#${label || target.slice(1)}`);
  const link = slackNode("a", "sl-link", ...slackInline(label || target));
  if (/^https?:\/\//.test(target)) {
    link.setAttribute("href", target);
    link.setAttribute("target", "_blank");
    link.setAttribute("rel", "noopener noreferrer");
  }
  return link;
}

// One line or paragraph of mrkdwn without code fences: links, *bold*, _italic_, `code`, :emoji:.
function slackInline(text) {
  const out = [];
  const pattern = /<([^<>]*)>|`([^`\n]+)`|(?<![\w*])\*([^*\n]+)\*(?![\w*])|(?<![\w_])_([^_\n]+)_(?![\w_])|:([a-z0-9_+-]+):/g;
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > last) out.push(slackEntities(text.slice(last, m.index)));
    if (m[1] !== undefined) out.push(slackAngle(m[1]));
    else if (m[2] !== undefined) out.push(slackNode("code", "sl-code", slackEntities(m[2])));
    else if (m[3] !== undefined) out.push(slackNode("b", "", ...slackInline(m[3])));
    else if (m[4] !== undefined) out.push(slackNode("i", "", ...slackInline(m[4])));
    else out.push(SLACK_EMOJI[m[5]] || m[0]);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(slackEntities(text.slice(last)));
  return out;
}

// A mrkdwn text: ``` fences become preformatted blocks, "> " lines quotes, the rest lines.
function slackMrkdwn(text) {
  const box = slackNode("div", "sl-text");
  const pieces = String(text).split("```");
  pieces.forEach((piece, index) => {
    if (index % 2 === 1) {
      box.append(slackNode("pre", "sl-pre", slackEntities(piece.replace(/^\n/, "").replace(/\n$/, ""))));
      return;
    }
    let prose = piece;
    if (index > 0) prose = prose.replace(/^\n/, "");
    if (index < pieces.length - 1) prose = prose.replace(/\n$/, "");
    if (!prose) return;
    const lines = prose.split("\n");
    lines.forEach((line, i) => {
      if (line.startsWith("&gt; ") || line.startsWith("> ")) {
        box.append(slackNode("div", "sl-quote", ...slackInline(line.replace(/^(&gt;|>) /, ""))));
      } else {
        box.append(...slackInline(line));
        if (i < lines.length - 1) box.append(document.createElement("br"));
      }
    });
  });
  return box;
}

function slackBlock(block) {
  if (block.type === "section") {
    const node = slackNode("div", "sl-section");
    if (block.text) node.append(slackMrkdwn(block.text.text || ""));
    if (block.fields) {
      node.append(
        slackNode("div", "sl-fields", block.fields.map((f) => slackNode("div", "sl-field", slackMrkdwn(f.text || "")))),
      );
    }
    return node;
  }
  if (block.type === "header") return slackNode("div", "sl-header", block.text ? block.text.text : "");
  if (block.type === "context") {
    return slackNode("div", "sl-context", (block.elements || []).map((e) => slackMrkdwn(e.text || "")));
  }
  if (block.type === "actions") {
    return slackNode(
      "div",
      "sl-actions",
      (block.elements || []).map((e) =>
        slackNode("span", `sl-button${e.style ? ` sl-${e.style}` : ""}${e.url ? " sl-url" : ""}`, e.text ? e.text.text : ""),
      ),
    );
  }
  if (block.type === "divider") return slackNode("hr", "sl-divider");
  return null;
}

// The whole message: the app's name and time, the top-level blocks, then each attachment with
// its colour bar. `options.channel` and `options.note` head it (e.g. "#ops · reply in thread").
function slackMessage(message, options = {}) {
  const root = slackNode("div", "sl-message");
  if (options.channel) {
    root.append(slackNode("div", "sl-channel", options.channel, options.note ? slackNode("span", "sl-note", ` · ${options.note}`) : null));
  }
  const body = slackNode("div", "sl-body");
  body.append(slackNode("div", "sl-avatar", "h"));
  const content = slackNode("div", "sl-content");
  content.append(slackNode("div", "sl-author", slackNode("b", "", "hub"), slackNode("span", "sl-app", "APP")));
  let blocks = message.blocks || [];
  if (!blocks.length && message.text) blocks = [{ type: "section", text: { type: "mrkdwn", text: message.text } }];
  for (const block of blocks) content.append(slackBlock(block));
  for (const attachment of message.attachments || []) {
    const bar = slackNode("div", "sl-attachment");
    if (/^#[0-9a-fA-F]{6}$/.test(attachment.color || "")) bar.style.borderLeftColor = attachment.color;
    for (const block of attachment.blocks || []) bar.append(slackBlock(block));
    content.append(bar);
  }
  body.append(content);
  root.append(body);
  return root;
}
