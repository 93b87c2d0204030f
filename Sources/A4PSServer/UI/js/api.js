// The server's HTTP API. The browser signs in with a session cookie (set by the one-time login
// URL); the token never reaches this page.

export class ApiError extends Error {
  constructor(status, body) {
    const message = body && typeof body === "object" && body.error ? body.error : `HTTP ${status}: ${typeof body === "string" ? body : ""}`;
    super(message);
    this.status = status;
    this.code = body && typeof body === "object" ? body.code : undefined;
    this.body = body;
  }
}

/**
 * One request: `json` is sent as JSON, `text` as plain text. Answers the parsed body; throws
 * ApiError (status, code, body) for 4xx/5xx.
 */
export async function api(method, path, { json, text, headers = {} } = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (text !== undefined) {
    init.body = text;
    init.headers["Content-Type"] = "text/plain; charset=utf-8";
  }
  const response = await fetch(path, init);
  const raw = await response.text();
  let body = raw;
  try {
    body = raw ? JSON.parse(raw) : null;
  } catch {
    // not JSON: keep the text
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export const get = (path) => api("GET", path);
export const post = (path, json) => api("POST", path, json === undefined ? {} : { json });

/** Encodes one path segment. */
export const seg = (s) => encodeURIComponent(s);
