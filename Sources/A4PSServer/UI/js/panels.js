// The side panels: one tab each (role=tablist), one visible at a time, each with a heading.

import { h } from "./dom.js";

const panels = new Map();
const listeners = new Map();

/** Adds a panel; answers its body element (below the heading). */
export function registerPanel(id, title) {
  const tab = h("button", {
    type: "button", role: "tab", id: `tab-${id}`, "aria-controls": `panel-${id}`, "aria-selected": "false",
    tabindex: "-1", onclick: () => showPanel(id),
  }, title);
  tab.addEventListener("keydown", (event) => {
    const tabs = [...document.querySelectorAll("#tabs [role=tab]")];
    const at = tabs.indexOf(tab);
    let next = null;
    if (event.key === "ArrowRight") next = tabs[(at + 1) % tabs.length];
    if (event.key === "ArrowLeft") next = tabs[(at - 1 + tabs.length) % tabs.length];
    if (event.key === "Home") next = tabs[0];
    if (event.key === "End") next = tabs[tabs.length - 1];
    if (next) {
      event.preventDefault();
      next.focus();
      next.click();
    }
  });
  const body = h("div", { class: "panel-body" });
  const section = h("section", {
    id: `panel-${id}`, class: "panel", role: "tabpanel", "aria-labelledby": `heading-${id}`, hidden: true,
  }, h("h2", { id: `heading-${id}` }, title), body);
  document.getElementById("tabs").append(tab);
  document.getElementById("panels").append(section);
  panels.set(id, { tab, section, body });
  if (panels.size === 1) showPanel(id);
  return body;
}

/** Shows panel `id` (and tells its listeners). */
export function showPanel(id) {
  for (const [key, panel] of panels) {
    const selected = key === id;
    panel.section.hidden = !selected;
    panel.tab.setAttribute("aria-selected", String(selected));
    panel.tab.tabIndex = selected ? 0 : -1;
  }
  for (const fn of listeners.get(id) || []) fn();
}

/** Calls `fn` each time panel `id` is shown. */
export function onShow(id, fn) {
  if (!listeners.has(id)) listeners.set(id, []);
  listeners.get(id).push(fn);
}

/** Sets a panel's heading (e.g. "Inspector — BRICK"). */
export function setTitle(id, title) {
  const heading = document.getElementById(`heading-${id}`);
  if (heading) heading.textContent = title;
}
