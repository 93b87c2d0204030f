// The image's live events (GET /events, Server-Sent Events): one shared EventSource, and
// listeners by event name ("*" for all). The browser reconnects by itself after a drop.

const listeners = new Map();
let source = null;
let statusListener = () => {};

export function on(name, fn) {
  if (!listeners.has(name)) listeners.set(name, new Set());
  listeners.get(name).add(fn);
  return () => listeners.get(name).delete(fn);
}

function dispatch(event) {
  for (const key of [event.event, "*"]) {
    for (const fn of listeners.get(key) || []) {
      try {
        fn(event);
      } catch (error) {
        console.warn("event listener failed", error);
      }
    }
  }
}

/** Opens the stream; `onStatus("open"|"reconnecting")` reports its state. */
export function connect(onStatus = () => {}) {
  statusListener = onStatus;
  if (source) return;
  source = new EventSource("/events");
  source.onopen = () => statusListener("open");
  source.onerror = () => statusListener("reconnecting");
  source.onmessage = (message) => {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    if (event && typeof event.event === "string") dispatch(event);
  };
  window.addEventListener("pagehide", () => source && source.close());
}
