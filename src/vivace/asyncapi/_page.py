"""The AsyncAPI docs page: one self-contained HTML file (inline style and script, nothing fetched but the document).

The script reads the document and draws each channel: its address and parameters, what the application sends and
receives on it, and every message's payload schema as a tree (`$ref`s followed into `components.schemas`, each
model expanded once per branch). Text is written with `textContent`, never parsed as HTML.
"""

from __future__ import annotations

import html
import json

from starlette.responses import HTMLResponse

__all__ = ["asyncapi_html"]

_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
header { background: #1d2330; color: #fff; padding: 1.2em 2em; }
header h1 { margin: 0; font-size: 1.5em; } header p { margin: .3em 0 0; opacity: .8; }
main { max-width: 60em; margin: 1.5em auto; padding: 0 1em; }
section.channel { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; margin-bottom: 1.2em;
  padding: 1em 1.4em; }
h2 { font-size: 1.15em; margin: 0 0 .3em; } h2 code { background: #eef1f5; padding: .1em .4em; border-radius: 4px; }
.badge { display: inline-block; font-size: .75em; font-weight: 600; text-transform: uppercase; padding: .1em .6em;
  border-radius: 3px; margin-right: .5em; color: #fff; }
.send { background: #2f7d4f; } .receive { background: #2d5fa8; } .binding { background: #6b6f78; }
.message { border-left: 3px solid #dde1e7; margin: .6em 0 .6em .3em; padding-left: .8em; }
.message h4 { margin: .2em 0; } .muted { color: #6b6f78; font-size: .9em; }
ul.schema { list-style: none; margin: .2em 0; padding-left: 1.2em; border-left: 1px dotted #c5cad3; }
ul.schema li { margin: .15em 0; } .name { font-family: ui-monospace, monospace; font-weight: 600; }
.type { font-family: ui-monospace, monospace; color: #8a3ab9; } .required { color: #b3261e; font-size: .8em; }
#error { color: #b3261e; }
"""

_SCRIPT = r"""
"use strict";
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}
function refName(ref) { return ref.split("/").pop(); }
function resolve(doc, ref) {
  const parts = ref.replace(/^#\//, "").split("/");
  let value = doc;
  for (const part of parts) value = value && value[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  return value;
}
function typeOf(schema) {
  if (!schema || typeof schema !== "object") return "any";
  if (schema.$ref) return refName(schema.$ref);
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return "one of " + schema.enum.map((v) => JSON.stringify(v)).join(", ");
  if (schema.anyOf || schema.oneOf) return (schema.anyOf || schema.oneOf).map(typeOf).join(" | ");
  if (schema.type === "array") return "array of " + typeOf(schema.items);
  if (Array.isArray(schema.type)) return schema.type.join(" | ");
  return (schema.type || "any") + (schema.format ? " (" + schema.format + ")" : "");
}
function schemaTree(doc, schema, seen) {
  const list = el("ul", "schema");
  if (!schema || typeof schema !== "object") return list;
  if (schema.$ref) {
    const name = refName(schema.$ref);
    if (seen.includes(name)) return list;
    return schemaTree(doc, resolve(doc, schema.$ref), seen.concat([name]));
  }
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    for (const option of schema[key] || []) {
      const item = el("li");
      item.append(el("span", "type", typeOf(option)));
      item.append(schemaTree(doc, option, seen));
      list.append(item);
    }
  }
  if (schema.type === "array" && schema.items) return schemaTree(doc, schema.items, seen);
  const required = schema.required || [];
  for (const [name, property] of Object.entries(schema.properties || {})) {
    const item = el("li");
    item.append(el("span", "name", name), " ", el("span", "type", typeOf(property)));
    if (required.includes(name)) item.append(" ", el("span", "required", "required"));
    if (property.description) item.append(" ", el("span", "muted", property.description));
    item.append(schemaTree(doc, property, seen));
    list.append(item);
  }
  return list;
}
function messageBlock(doc, ref) {
  const message = resolve(doc, ref.$ref || "") || ref;
  const resolved = message.$ref ? resolve(doc, message.$ref) : message;
  const block = el("div", "message");
  block.append(el("h4", null, resolved.title || resolved.name || refName(ref.$ref || "message")));
  const meta = [resolved.name ? "name: " + resolved.name : null, resolved.contentType].filter(Boolean);
  block.append(el("div", "muted", meta.join(" · ") + " · payload: " + typeOf(resolved.payload)));
  if (resolved.description) block.append(el("p", null, resolved.description));
  block.append(schemaTree(doc, resolved.payload, []));
  return block;
}
function channelSection(doc, key, channel) {
  const section = el("section", "channel");
  section.id = "channel-" + key;
  const title = el("h2");
  title.append(el("code", null, channel.address === null ? key : channel.address), " ", el("span", "muted", key));
  section.append(title);
  for (const field of ["summary", "description"]) if (channel[field]) section.append(el("p", null, channel[field]));
  const parameters = Object.keys(channel.parameters || {});
  if (parameters.length) section.append(el("p", "muted", "Parameters: " + parameters.join(", ")));
  for (const [name, binding] of Object.entries(channel.bindings || {})) {
    const line = el("p", "muted");
    line.append(el("span", "badge binding", name));
    for (const part of ["query", "headers"]) {
      if (binding[part]) line.append(part + ": " + Object.keys(binding[part].properties || {}).join(", ") + " ");
    }
    section.append(line);
  }
  for (const operation of Object.values(doc.operations || {})) {
    if (!operation.channel || operation.channel.$ref !== "#/channels/" + key) continue;
    const heading = el("h3");
    heading.append(el("span", "badge " + operation.action, operation.action),
      operation.action === "send" ? "the application sends" : "the application receives");
    section.append(heading);
    for (const ref of operation.messages || []) section.append(messageBlock(doc, resolve(doc, ref.$ref) || ref));
  }
  return section;
}
async function render(url) {
  const main = document.querySelector("main");
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error("GET " + url + ": " + response.status);
    const doc = await response.json();
    document.querySelector("header h1").textContent = doc.info.title + " " + doc.info.version;
    document.querySelector("header p").textContent = (doc.info.description || "") + " (AsyncAPI " + doc.asyncapi + ")";
    const channels = Object.entries(doc.channels || {});
    if (!channels.length) main.append(el("p", "muted", "No channels."));
    for (const [key, channel] of channels) main.append(channelSection(doc, key, channel));
  } catch (error) {
    main.append(el("p", null, String(error)));
    main.lastChild.id = "error";
  }
}
"""


def _script_string(value: str) -> str:
    """A JavaScript string literal that is safe inside a <script> element."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def asyncapi_html(*, document_url: str, title: str) -> HTMLResponse:
    """The page that renders the AsyncAPI document at `document_url`."""
    return HTMLResponse(f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="icon" href="data:,">
<style>{_STYLE}</style>
</head>
<body>
<header><h1>{html.escape(title)}</h1><p></p></header>
<main><noscript>This page draws the AsyncAPI document with JavaScript; the document itself is at
<a href="{html.escape(document_url, quote=True)}">{html.escape(document_url)}</a>.</noscript></main>
<script>{_SCRIPT}
render({_script_string(document_url)});
</script>
</body>
</html>
""")
