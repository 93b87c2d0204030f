// The Entropic UI: the world of morphs, and its tools in side panels. Every module reads and
// writes through the server's API with the session cookie; the event stream keeps it all live.

import { get, ApiError } from "./api.js";
import * as events from "./events.js";
import { World } from "./world.js";
import { Conversation } from "./conversation.js";
import { Inspector } from "./inspector.js";
import { Editor } from "./editor.js";
import { Sender } from "./send.js";
import { Runs } from "./runs.js";
import { Inbox } from "./inbox.js";
import { ChangeLog } from "./changelog.js";
import { Documents } from "./documents.js";
import { Debugger } from "./debug.js";
import { h } from "./dom.js";

const ui = {
  notify(text) {
    const region = document.getElementById("notice");
    region.textContent = text;
    clearTimeout(ui.noticeTimer);
    ui.noticeTimer = setTimeout(() => { region.textContent = ""; }, 8000);
  },
  inspect: (name) => ui.inspector.open(name),
  methods: (name) => ui.inspector.open(name, { section: "methods" }),
  edit: (proto, selector) => ui.editor.open(proto, selector),
  send: (name, options) => ui.sender.open(name, options),
  history: (proto, subject) => ui.changes.open(proto, subject),
  debug: (proto) => ui.debugger.open(proto),
};
window.a4ps = ui; // for the console: a4ps.inspect("BRICK")

async function main() {
  document.body.append(h("div", { id: "notice", class: "notice", role: "status", "aria-live": "polite" }));
  try {
    await get("/protos");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      document.getElementById("signin").hidden = false;
      document.getElementById("app").hidden = true;
      setConnection("signed-out", "not signed in");
      return;
    }
    throw error;
  }
  ui.conversation = new Conversation(ui);
  ui.inspector = new Inspector(ui);
  ui.editor = new Editor(ui);
  ui.sender = new Sender(ui);
  ui.runs = new Runs(ui);
  ui.inbox = new Inbox(ui);
  ui.changes = new ChangeLog(ui);
  ui.documents = new Documents(ui);
  ui.debugger = new Debugger(ui);
  ui.world = new World(document.getElementById("world"), ui);

  events.connect((state) => setConnection(state, state === "open" ? "live" : "reconnecting…"));
  await ui.world.load();

  const editToggle = document.getElementById("edit-mode");
  editToggle.addEventListener("click", () => {
    const on = editToggle.getAttribute("aria-pressed") !== "true";
    editToggle.setAttribute("aria-pressed", String(on));
    ui.world.setEditMode(on);
  });
  document.getElementById("add-proto").addEventListener("change", (event) => {
    if (event.target.value) ui.world.show(event.target.value);
    event.target.value = "";
  });
  // Ctrl+I inspects the focused morph (or the one whose halo has focus).
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && (event.key === "i" || event.key === "I")) {
      const morph = document.activeElement && document.activeElement.closest(".morph");
      const halo = document.activeElement && document.activeElement.closest(".halo");
      const name = morph ? morph.dataset.proto : halo ? ui.world.halo.target : null;
      if (name) {
        event.preventDefault();
        ui.inspect(name);
      }
    }
  });
  document.body.dataset.ready = "true";
}

function setConnection(state, text) {
  const element = document.getElementById("connection");
  element.dataset.state = state;
  element.textContent = text;
}

main().catch((error) => {
  console.error(error);
  const notice = document.getElementById("notice");
  if (notice) notice.textContent = `The UI could not start: ${error.message}`;
});
