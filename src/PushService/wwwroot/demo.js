// PushService demo page.
// Plain ES module, no build step. Uses the vendored SignalR browser client (global `signalR`,
// loaded by lib/signalr/signalr.min.js before this module runs).
// Everything that comes from the network is rendered with textContent, never innerHTML.

const MAX_NOTIFICATIONS = 200;
const TOKEN_REFRESH_MARGIN_MS = 30_000;
const DEFAULT_HUB_PATH = "/hubs/notifications";

const TRANSPORT_NAMES = {
  WebSockets: "WebSockets",
  ServerSentEvents: "Server-Sent Events",
  LongPolling: "Long polling",
};

// Class names of the transports in the unminified client (the minified one mangles them).
const TRANSPORT_CLASSES = {
  WebSocketTransport: "WebSockets",
  ServerSentEventsTransport: "ServerSentEvents",
  LongPollingTransport: "LongPolling",
};

const HUB_ERROR_CODES = ["invalid_topic", "forbidden", "limit_exceeded"];

// ---------------------------------------------------------------------------
// Elements

const $ = (id) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`demo: element #${id} is missing`);
  return el;
};

const ui = {
  configError: $("config-error"),
  status: $("status"),
  transport: $("transport"),
  currentUser: $("current-user"),

  connectForm: $("connect-form"),
  userInput: $("user-input"),
  patternsInput: $("patterns-input"),
  transportSelect: $("transport-select"),
  connect: $("connect"),
  disconnect: $("disconnect"),
  connectionId: $("connection-id"),
  connectError: $("connect-error"),
  tokenInfo: $("token-info"),

  subscribeForm: $("subscribe-form"),
  topicInput: $("topic-input"),
  subscribe: $("subscribe"),
  topicError: $("topic-error"),
  topicList: $("topic-list"),
  topicEmpty: $("topic-empty"),
  topicTemplate: $("topic-template"),

  publishForm: $("publish-form"),
  publishType: $("publish-type"),
  apiKey: $("api-key"),
  publishUsers: $("publish-users"),
  publishTopics: $("publish-topics"),
  publishBroadcast: $("publish-broadcast"),
  publishData: $("publish-data"),
  dataError: $("data-error"),
  publish: $("publish"),
  formatData: $("format-data"),
  publishResult: $("publish-result"),
  publishError: $("publish-error"),

  curlSnippet: $("curl-snippet"),
  copyCurl: $("copy-curl"),

  unreadCount: $("unread-count"),
  markRead: $("mark-read"),
  clear: $("clear"),
  notificationCount: $("notification-count"),
  notificationEmpty: $("notification-empty"),
  notificationList: $("notification-list"),
  notificationTemplate: $("notification-template"),

  signalrVersion: $("signalr-version"),
};

// ---------------------------------------------------------------------------
// State

const state = {
  hubPath: DEFAULT_HUB_PATH,
  connection: null,          // signalR.HubConnection while connecting/connected/reconnecting
  status: "disconnected",
  userStopped: false,
  attempt: 0,                // bumped by every Connect/Disconnect click; stale attempts give up
  chosenTransport: "auto",
  lastSelectedTransport: "", // from the client's "Selecting transport 'X'." debug log
  token: "",
  tokenExpiresAt: 0,
  tokenRequest: null,        // { user, topics }
  topics: new Map(),         // topic -> { state: "subscribed" | "pending", el }
  usersEdited: false,
  lastCurl: "",
  baseTitle: document.title,
};

// ---------------------------------------------------------------------------
// Small helpers

function splitList(value) {
  const seen = new Set();
  for (const part of String(value).split(",")) {
    const item = part.trim();
    if (item) seen.add(item);
  }
  return [...seen];
}

function show(el, visible = true) {
  el.hidden = !visible;
}

function clearChildren(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
}

function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "className") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function setMessage(el, ...children) {
  clearChildren(el);
  el.append(...children.filter((c) => c !== undefined && c !== null && c !== false)
    .map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
  show(el, true);
}

function hideMessage(el) {
  clearChildren(el);
  delete el.dataset.code;
  show(el, false);
}

function setBusy(button, busy) {
  button.disabled = busy;
  if (busy) button.setAttribute("aria-busy", "true");
  else button.removeAttribute("aria-busy");
}

function errorText(err) {
  if (!err) return "unknown error";
  if (typeof err === "string") return err;
  return err.message || String(err);
}

const timeFormat = (() => {
  try {
    return new Intl.DateTimeFormat(undefined, {
      hour: "2-digit", minute: "2-digit", second: "2-digit", fractionalSecondDigits: 3, hour12: false,
    });
  } catch {
    return new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }
})();

const shortTimeFormat = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
});

function formatTime(value, format = timeFormat) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value ?? "") : format.format(date);
}

function shellQuote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

function decodeJwtPayload(jwt) {
  try {
    const part = String(jwt).split(".")[1];
    if (!part) return null;
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

async function readBody(response) {
  const text = await response.text().catch(() => "");
  if (!text) return { json: null, text: "" };
  try {
    return { json: JSON.parse(text), text };
  } catch {
    return { json: null, text };
  }
}

/** Turns an RFC 7807 problem (or any failed response) into DOM nodes. */
function problemNodes(response, body, hint) {
  const p = body.json && typeof body.json === "object" && !Array.isArray(body.json) ? body.json : null;
  const title = (p && typeof p.title === "string" && p.title) || response.statusText || "Request failed";
  const nodes = [h("strong", {}, `${response.status} ${title}`)];
  if (p && typeof p.detail === "string" && p.detail) nodes.push(h("div", {}, p.detail));
  if (p && p.errors && typeof p.errors === "object") {
    const items = [];
    for (const [field, messages] of Object.entries(p.errors)) {
      const list = Array.isArray(messages) ? messages : [messages];
      for (const message of list) {
        items.push(h("li", { "data-testid": "problem-field", "data-field": field },
          h("code", {}, field || "$"), " ", String(message)));
      }
    }
    if (items.length) nodes.push(h("ul", { "data-testid": "problem-errors" }, ...items));
  } else if (!p && body.text) {
    nodes.push(h("div", { className: "mono" }, body.text.slice(0, 500)));
  }
  if (hint && !(p && (p.detail || p.errors))) nodes.push(h("div", {}, hint));
  return nodes;
}

/** Hub errors arrive as "... HubException: code: sentence" (the server prefixes its own text). */
function parseHubError(err) {
  const raw = errorText(err);
  const marker = "HubException: ";
  const at = raw.lastIndexOf(marker);
  const tail = at >= 0 ? raw.slice(at + marker.length) : raw;
  let m = /^([a-z][a-z0-9_]*): ([\s\S]+)$/.exec(tail);
  if (!m) m = new RegExp(`\\b(${HUB_ERROR_CODES.join("|")}): ([\\s\\S]+)$`).exec(raw);
  return m ? { code: m[1], message: m[2], raw } : { code: "", message: raw, raw };
}

function hubErrorNodes(prefix, err) {
  const { code, message } = parseHubError(err);
  // The code is shown as a badge; the hidden ": " keeps the text as "code: sentence" for copy/paste and tests.
  return [prefix, code ? h("span", { className: "msg-code", "data-testid": "error-code" }, code) : null,
    code ? h("span", { className: "sr-only" }, ": ") : null, message];
}

// ---------------------------------------------------------------------------
// Configuration

async function loadConfig() {
  try {
    const response = await fetch("demo/config", { headers: { Accept: "application/json" }, cache: "no-store" });
    if (!response.ok) throw new Error(`GET /demo/config returned ${response.status} ${response.statusText}`);
    const config = await response.json();
    if (config && typeof config.apiKey === "string" && !ui.apiKey.value) ui.apiKey.value = config.apiKey;
    if (config && typeof config.hubPath === "string" && config.hubPath) state.hubPath = config.hubPath;
    hideMessage(ui.configError);
  } catch (err) {
    setMessage(ui.configError,
      h("strong", {}, "Demo configuration unavailable. "),
      `${errorText(err)}. The demo endpoints exist only when the service runs in Development; `,
      "you can still type an API key below.");
  } finally {
    updateCurlPreviewState();
  }
}

// ---------------------------------------------------------------------------
// Connection

function setStatus(status) {
  state.status = status;
  ui.status.textContent = status;
  ui.status.dataset.state = status;
  document.body.dataset.connection = status;

  const active = status !== "disconnected";
  ui.userInput.disabled = active;
  ui.patternsInput.disabled = active;
  ui.transportSelect.disabled = active;
  ui.connect.disabled = active;
  ui.disconnect.disabled = !active;
  ui.subscribe.disabled = status !== "connected";
  if (status === "connecting") ui.connect.setAttribute("aria-busy", "true");
  else ui.connect.removeAttribute("aria-busy");
}

function setTransport(name) {
  ui.transport.dataset.transport = name || "";
  ui.transport.textContent = name ? (TRANSPORT_NAMES[name] || name) : "—";
  ui.transport.title = state.chosenTransport === "auto"
    ? "Chosen: Auto (negotiated)"
    : `Chosen: ${TRANSPORT_NAMES[state.chosenTransport] || state.chosenTransport}`;
}

/** The transport the connection actually uses. */
function detectTransport(connection) {
  const transport = connection && connection.connection && connection.connection.transport;
  if (transport && typeof transport === "object") {
    if ("pollAborted" in transport) return "LongPolling";
    for (const value of Object.values(transport)) {
      if (typeof WebSocket !== "undefined" && value instanceof WebSocket) return "WebSockets";
      if (typeof EventSource !== "undefined" && value instanceof EventSource) return "ServerSentEvents";
    }
    const className = transport.constructor && transport.constructor.name;
    if (className && TRANSPORT_CLASSES[className]) return TRANSPORT_CLASSES[className];
  }
  if (state.lastSelectedTransport) return state.lastSelectedTransport;
  return state.chosenTransport !== "auto" ? state.chosenTransport : "";
}

const signalrLogger = {
  log(level, message) {
    const text = String(message);
    const selected = /^Selecting transport '(\w+)'\./.exec(text);
    if (selected) state.lastSelectedTransport = selected[1];
    const L = signalR.LogLevel;
    if (level >= L.Error) console.error(`[SignalR] ${text}`);
    else if (level >= L.Warning) console.warn(`[SignalR] ${text}`);
    else if (level >= L.Information) console.info(`[SignalR] ${text}`);
  },
};

async function requestToken(user, topics) {
  const response = await fetch("demo/token", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ user, topics }),
    cache: "no-store",
  });
  const body = await readBody(response);
  if (!response.ok || !body.json || typeof body.json.token !== "string") {
    const p = body.json || {};
    const fieldErrors = p.errors && typeof p.errors === "object"
      ? Object.entries(p.errors).map(([f, m]) => `${f}: ${[].concat(m).join(" ")}`).join("; ")
      : "";
    const detail = [p.title, p.detail, fieldErrors].filter(Boolean).join(" — ") || body.text || response.statusText;
    throw new Error(`POST /demo/token failed (${response.status}): ${detail}`);
  }
  state.token = body.json.token;
  const expires = Date.parse(body.json.expiresAt);
  const payload = decodeJwtPayload(state.token);
  state.tokenExpiresAt = Number.isNaN(expires)
    ? (payload && typeof payload.exp === "number" ? payload.exp * 1000 : Date.now() + 5 * 60_000)
    : expires;
  showTokenInfo(payload);
  return state.token;
}

function showTokenInfo(payload) {
  const sub = payload && payload.sub ? String(payload.sub) : state.tokenRequest?.user ?? "";
  const claim = payload ? payload.topics : undefined;
  const topics = claim === undefined ? state.tokenRequest?.topics ?? [] : [].concat(claim).map(String);
  setMessage(ui.tokenInfo,
    "Token: sub ", h("code", {}, sub),
    " · topics ", topics.length ? h("code", {}, topics.join(", ")) : h("em", {}, "none"),
    ` · expires ${formatTime(state.tokenExpiresAt, shortTimeFormat)}`);
}

async function accessTokenFactory() {
  if (!state.token || Date.now() > state.tokenExpiresAt - TOKEN_REFRESH_MARGIN_MS) {
    if (!state.tokenRequest) throw new Error("No token request to renew.");
    await requestToken(state.tokenRequest.user, state.tokenRequest.topics);
  }
  return state.token;
}

function buildConnection(chosen) {
  const options = { accessTokenFactory };
  if (chosen !== "auto") options.transport = signalR.HttpTransportType[chosen];
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(state.hubPath, options)
    .withAutomaticReconnect()
    .configureLogging(signalrLogger)
    .build();

  connection.on("notification", (message) => addNotification(message));

  connection.onreconnecting((err) => {
    if (state.connection !== connection) return;
    state.lastSelectedTransport = "";
    setStatus("reconnecting");
    setTransport("");
    ui.connectionId.textContent = "";
    markTopicsPending();
    if (err) setMessage(ui.connectError, `Connection lost (${errorText(err)}); reconnecting…`);
  });

  connection.onreconnected(() => {
    if (state.connection !== connection) return;
    hideMessage(ui.connectError);
    onConnected(connection);
  });

  connection.onclose((err) => {
    if (state.connection !== connection) return;
    const unexpected = !state.userStopped;
    resetToDisconnected();
    if (unexpected) {
      setMessage(ui.connectError, err ? `Connection closed: ${errorText(err)}` : "Connection closed by the server.");
    }
  });

  return connection;
}

function onConnected(connection) {
  setStatus("connected");
  setTransport(detectTransport(connection));
  ui.connectionId.textContent = connection.connectionId ? `connection ${connection.connectionId}` : "";
  resubscribeAll(connection);
}

function resetToDisconnected() {
  state.connection = null;
  state.lastSelectedTransport = "";
  setStatus("disconnected");
  setTransport("");
  ui.connectionId.textContent = "";
  markTopicsPending();
}

async function connect(event) {
  event.preventDefault();
  if (state.connection) return;
  hideMessage(ui.connectError);

  const user = ui.userInput.value.trim();
  if (!user) {
    setMessage(ui.connectError, "Enter a user id.");
    ui.userInput.focus();
    return;
  }
  const topics = splitList(ui.patternsInput.value);
  const attempt = ++state.attempt;
  state.chosenTransport = ui.transportSelect.value;
  state.tokenRequest = { user, topics };
  state.token = "";
  state.userStopped = false;
  state.lastSelectedTransport = "";
  ui.currentUser.textContent = user;
  if (!state.usersEdited) ui.publishUsers.value = user;
  setStatus("connecting");

  let connection = null;
  try {
    await requestToken(user, topics);
    if (attempt !== state.attempt || state.userStopped) return;
    connection = buildConnection(state.chosenTransport);
    state.connection = connection;
    await connection.start();
    if (state.connection !== connection) return;
    onConnected(connection);
  } catch (err) {
    if (attempt !== state.attempt || (connection && state.connection !== connection)) return; // superseded
    const stoppedByUser = state.userStopped;
    resetToDisconnected();
    if (!stoppedByUser) setMessage(ui.connectError, `Could not connect: ${errorText(err)}`);
  }
}

async function disconnect() {
  state.userStopped = true;
  state.attempt++;
  const connection = state.connection;
  if (!connection) {
    resetToDisconnected();
    return;
  }
  ui.disconnect.disabled = true;
  try {
    await connection.stop();
  } catch (err) {
    console.warn("demo: stop failed", err);
  }
  if (state.connection === connection) resetToDisconnected();
  hideMessage(ui.connectError);
}

// ---------------------------------------------------------------------------
// Topics

function renderTopicsEmpty() {
  show(ui.topicEmpty, state.topics.size === 0);
}

function setTopicState(topic, topicState) {
  const entry = state.topics.get(topic);
  if (!entry) return;
  entry.state = topicState;
  entry.el.dataset.state = topicState;
  entry.el.title = topicState === "pending" ? "Subscribed again when the connection is up" : "Subscribed";
}

function addTopicChip(topic, topicState) {
  const existing = state.topics.get(topic);
  if (existing) {
    setTopicState(topic, topicState);
    return;
  }
  const el = ui.topicTemplate.content.firstElementChild.cloneNode(true);
  el.dataset.topic = topic;
  el.querySelector("[data-testid='topic-name']").textContent = topic;
  const remove = el.querySelector("[data-testid='unsubscribe']");
  remove.setAttribute("aria-label", `Unsubscribe from ${topic}`);
  remove.title = `Unsubscribe from ${topic}`;
  remove.addEventListener("click", () => unsubscribe(topic, remove));
  ui.topicList.append(el);
  state.topics.set(topic, { state: topicState, el });
  setTopicState(topic, topicState);
  renderTopicsEmpty();
}

function removeTopicChip(topic) {
  const entry = state.topics.get(topic);
  if (!entry) return;
  entry.el.remove();
  state.topics.delete(topic);
  renderTopicsEmpty();
}

function markTopicsPending() {
  for (const topic of state.topics.keys()) setTopicState(topic, "pending");
}

async function subscribe(event) {
  event.preventDefault();
  hideMessage(ui.topicError);
  const topic = ui.topicInput.value.trim();
  const connection = state.connection;
  if (!topic) {
    setMessage(ui.topicError, "Enter a topic name.");
    ui.topicInput.focus();
    return;
  }
  if (!connection || state.status !== "connected") {
    setMessage(ui.topicError, "Connect first.");
    return;
  }
  setBusy(ui.subscribe, true);
  try {
    await connection.invoke("Subscribe", topic);
    if (state.connection !== connection) return;
    addTopicChip(topic, "subscribed");
    ui.topicInput.value = "";
    ui.topicInput.removeAttribute("aria-invalid");
  } catch (err) {
    const { code } = parseHubError(err);
    setMessage(ui.topicError, ...hubErrorNodes(`Subscribe to “${topic}” failed: `, err));
    ui.topicError.dataset.code = code;
    ui.topicInput.setAttribute("aria-invalid", "true");
  } finally {
    ui.subscribe.removeAttribute("aria-busy");
    ui.subscribe.disabled = state.status !== "connected";
    ui.topicInput.focus();
  }
}

async function unsubscribe(topic, button) {
  hideMessage(ui.topicError);
  const connection = state.connection;
  if (!connection || state.status !== "connected") {
    removeTopicChip(topic); // not on the server anyway; just forget it
    return;
  }
  button.disabled = true;
  try {
    await connection.invoke("Unsubscribe", topic);
    removeTopicChip(topic);
  } catch (err) {
    const { code } = parseHubError(err);
    setMessage(ui.topicError, ...hubErrorNodes(`Unsubscribe from “${topic}” failed: `, err));
    ui.topicError.dataset.code = code;
    button.disabled = false;
  }
}

/** Subscriptions belong to a connection: a (re)connect needs Subscribe again for each topic. */
async function resubscribeAll(connection) {
  const topics = [...state.topics.keys()];
  if (!topics.length) return;
  const failures = [];
  await Promise.all(topics.map(async (topic) => {
    try {
      await connection.invoke("Subscribe", topic);
      if (state.connection === connection && state.topics.has(topic)) setTopicState(topic, "subscribed");
    } catch (err) {
      if (state.connection !== connection) return;
      failures.push({ topic, err });
      removeTopicChip(topic);
    }
  }));
  if (failures.length && state.connection === connection) {
    const nodes = ["Could not subscribe again: "];
    failures.forEach(({ topic, err }, i) => {
      if (i) nodes.push("; ");
      nodes.push(h("code", {}, topic), " — ", ...hubErrorNodes("", err));
    });
    setMessage(ui.topicError, ...nodes);
    ui.topicError.dataset.code = parseHubError(failures[0].err).code;
  }
}

// ---------------------------------------------------------------------------
// Notifications

function streamOf(message) {
  if (typeof message.topic === "string") return { kind: "topic", label: `topic: ${message.topic}`, value: message.topic };
  if (typeof message.user === "string") return { kind: "user", label: `user: ${message.user}`, value: message.user };
  if (message.broadcast === true) return { kind: "broadcast", label: "broadcast", value: "" };
  return { kind: "unknown", label: "unknown stream", value: "" };
}

function addNotification(message) {
  if (!message || typeof message !== "object") return;
  const stream = streamOf(message);
  const id = message.id == null ? "" : String(message.id);
  const type = message.type == null ? "" : String(message.type);

  const li = ui.notificationTemplate.content.firstElementChild.cloneNode(true);
  li.dataset.id = id;
  li.dataset.type = type;
  li.dataset.stream = stream.kind;
  li.dataset.streamName = stream.value;
  li.dataset.unread = "true";

  li.querySelector("[data-testid='notification-type']").textContent = type || "(no type)";

  const badge = li.querySelector("[data-testid='notification-stream']");
  badge.textContent = stream.label;
  badge.dataset.kind = stream.kind;

  const time = li.querySelector("[data-testid='notification-time']");
  const createdAt = message.createdAt == null ? "" : String(message.createdAt);
  time.textContent = formatTime(createdAt);
  time.dateTime = createdAt;
  time.title = createdAt;

  li.querySelector("[data-testid='notification-id']").textContent = id;

  const data = message.data === undefined ? null : message.data;
  const pre = li.querySelector("[data-testid='notification-data']");
  let pretty;
  try {
    pretty = JSON.stringify(data, null, 2);
  } catch {
    pretty = String(data);
  }
  pre.textContent = pretty === undefined ? "null" : pretty;
  pre.dataset.null = String(data === null);

  li.title = "Click to mark as read";
  li.addEventListener("click", () => markRead(li));

  ui.notificationList.prepend(li);
  while (ui.notificationList.children.length > MAX_NOTIFICATIONS) {
    ui.notificationList.lastElementChild.remove();
  }
  updateCounts();
}

function markRead(li) {
  if (li.dataset.unread !== "true") return;
  li.dataset.unread = "false";
  li.classList.remove("unread");
  li.removeAttribute("title");
  updateCounts();
}

function markAllRead() {
  for (const li of ui.notificationList.querySelectorAll(".note.unread")) {
    li.dataset.unread = "false";
    li.classList.remove("unread");
    li.removeAttribute("title");
  }
  updateCounts();
}

function clearNotifications() {
  clearChildren(ui.notificationList);
  updateCounts();
}

function updateCounts() {
  const total = ui.notificationList.children.length;
  const unread = ui.notificationList.querySelectorAll(".note.unread").length;
  ui.unreadCount.textContent = String(unread);
  ui.unreadCount.dataset.count = String(unread);
  ui.unreadCount.title = `${unread} unread`;
  ui.notificationCount.textContent = String(total);
  show(ui.notificationEmpty, total === 0);
  document.title = unread ? `(${unread}) ${state.baseTitle}` : state.baseTitle;
}

// ---------------------------------------------------------------------------
// Publishing

function parseDataField() {
  const text = ui.publishData.value.trim();
  if (!text) return { ok: true, present: false };
  try {
    return { ok: true, present: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: err };
  }
}

function showDataError(err) {
  setMessage(ui.dataError, h("strong", {}, "Data is not valid JSON: "), errorText(err));
  ui.publishData.setAttribute("aria-invalid", "true");
}

function clearDataError() {
  hideMessage(ui.dataError);
  ui.publishData.removeAttribute("aria-invalid");
}

function publishUrl() {
  return new URL("api/v1/notifications", document.baseURI).href;
}

function buildCurl(json, apiKey) {
  return [
    `curl -i -X POST ${shellQuote(publishUrl())} \\`,
    `  -H ${shellQuote(`X-Api-Key: ${apiKey || "<api-key>"}`)} \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellQuote(json)}`,
  ].join("\n");
}

function updateCurlPreviewState() {
  ui.copyCurl.disabled = !state.lastCurl;
}

async function publish(event) {
  event.preventDefault();
  hideMessage(ui.publishResult);
  hideMessage(ui.publishError);

  const data = parseDataField();
  if (!data.ok) {
    showDataError(data.error);
    ui.publishData.focus();
    return;
  }
  clearDataError();

  const body = { type: ui.publishType.value.trim() };
  const users = splitList(ui.publishUsers.value);
  const topics = splitList(ui.publishTopics.value);
  if (users.length) body.users = users;
  if (topics.length) body.topics = topics;
  if (ui.publishBroadcast.checked) body.broadcast = true;
  if (data.present) body.data = data.value;

  const json = JSON.stringify(body);
  const apiKey = ui.apiKey.value.trim();
  state.lastCurl = buildCurl(json, apiKey);
  ui.curlSnippet.textContent = state.lastCurl;
  updateCurlPreviewState();

  setBusy(ui.publish, true);
  try {
    const response = await fetch("api/v1/notifications", {
      method: "POST",
      headers: {
        "X-Api-Key": apiKey,
        "Content-Type": "application/json",
        Accept: "application/json, application/problem+json",
      },
      body: json,
      cache: "no-store",
    });
    const result = await readBody(response);
    if (response.ok) {
      const r = result.json || {};
      const id = r.id == null ? "" : String(r.id);
      ui.publishResult.dataset.id = id;
      setMessage(ui.publishResult,
        h("strong", {}, `${response.status} Accepted`), " — id ",
        h("code", { "data-testid": "publish-id" }, id || "(none)"),
        r.createdAt ? ` at ${formatTime(r.createdAt)}` : "");
    } else {
      const hint = response.status === 401 ? "Check the API key (X-Api-Key)." : undefined;
      ui.publishError.dataset.status = String(response.status);
      setMessage(ui.publishError, ...problemNodes(response, result, hint));
    }
  } catch (err) {
    ui.publishError.dataset.status = "0";
    setMessage(ui.publishError, h("strong", {}, "Network error: "), errorText(err));
  } finally {
    setBusy(ui.publish, false);
  }
}

function formatData() {
  const data = parseDataField();
  if (!data.ok) {
    showDataError(data.error);
    return;
  }
  clearDataError();
  if (data.present) ui.publishData.value = JSON.stringify(data.value, null, 2);
}

async function copyCurl() {
  if (!state.lastCurl) return;
  const original = ui.copyCurl.textContent;
  try {
    await navigator.clipboard.writeText(state.lastCurl);
    ui.copyCurl.textContent = "Copied";
  } catch {
    // Clipboard API unavailable (e.g. plain http on another host): select the text instead.
    const range = document.createRange();
    range.selectNodeContents(ui.curlSnippet);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    ui.copyCurl.textContent = "Selected — press Ctrl+C";
  }
  setTimeout(() => { ui.copyCurl.textContent = original; }, 1500);
}

// ---------------------------------------------------------------------------
// Wiring

function init() {
  if (typeof signalR === "undefined") {
    setMessage(ui.configError, h("strong", {}, "SignalR client failed to load "),
      "(lib/signalr/signalr.min.js).");
    ui.connect.disabled = true;
    return;
  }
  ui.signalrVersion.textContent = signalR.VERSION || "";

  ui.connectForm.addEventListener("submit", connect);
  ui.disconnect.addEventListener("click", disconnect);
  ui.subscribeForm.addEventListener("submit", subscribe);
  ui.topicInput.addEventListener("input", () => ui.topicInput.removeAttribute("aria-invalid"));
  ui.publishForm.addEventListener("submit", publish);
  ui.formatData.addEventListener("click", formatData);
  ui.publishData.addEventListener("input", () => {
    if (ui.publishData.getAttribute("aria-invalid") === "true" && parseDataField().ok) clearDataError();
  });
  ui.publishUsers.addEventListener("input", () => { state.usersEdited = true; });
  ui.userInput.addEventListener("input", () => {
    if (!state.usersEdited) ui.publishUsers.value = ui.userInput.value.trim();
  });
  ui.copyCurl.addEventListener("click", copyCurl);
  ui.markRead.addEventListener("click", markAllRead);
  ui.clear.addEventListener("click", clearNotifications);
  window.addEventListener("beforeunload", () => {
    state.userStopped = true;
    state.connection?.stop();
  });

  if (!state.usersEdited) ui.publishUsers.value = ui.userInput.value.trim();
  setStatus("disconnected");
  setTransport("");
  renderTopicsEmpty();
  updateCounts();
  loadConfig();
}

init();

// Handy in the browser console and for end-to-end tests.
window.pushDemo = Object.freeze({
  get connection() { return state.connection; },
  get status() { return state.status; },
  get transport() { return ui.transport.dataset.transport; },
  get topics() { return [...state.topics.keys()]; },
  addNotification,
});
