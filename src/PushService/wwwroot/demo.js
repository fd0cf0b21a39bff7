// PushService demo app, built on the TypeScript SDK (@pushservice/client, resolved by the page's
// import map to the compiled copy in lib/pushservice-client). Plain ES module, no build step.
// Everything that comes from the network is rendered with textContent, never innerHTML.
//
// Query options: ?user=alice (prefill), ?transport=websockets|sse|longpolling, ?protocol=messagepack.
import { PushClient } from "@pushservice/client";

const MAX_NOTIFICATIONS = 200;
const MAX_EVENTS = 30;
const TRANSPORTS = { websockets: "WebSockets", sse: "ServerSentEvents", longpolling: "LongPolling" };
const TRANSPORT_LABELS = { WebSockets: "WebSockets", ServerSentEvents: "Server-Sent Events", LongPolling: "Long polling" };

const $ = (id) => document.getElementById(id);
const ui = {
  banner: $("banner"), status: $("status"), transport: $("transport"), currentUser: $("current-user"),
  signinForm: $("signin-form"), userInput: $("user-input"), patternsInput: $("patterns-input"),
  transportSelect: $("transport-select"), protocolSelect: $("protocol-select"),
  signin: $("signin"), signout: $("signout"), signinError: $("signin-error"),
  subscribeForm: $("subscribe-form"), topicInput: $("topic-input"), subscribe: $("subscribe"),
  topicError: $("topic-error"), topicList: $("topic-list"), topicEmpty: $("topic-empty"), topicTemplate: $("topic-template"),
  publishForm: $("publish-form"), publishType: $("publish-type"), publishTarget: $("publish-target"),
  publishToField: $("publish-to-field"), publishToLabel: $("publish-to-label"), publishTo: $("publish-to"),
  publishData: $("publish-data"), publish: $("publish"), publishResult: $("publish-result"), publishError: $("publish-error"),
  unreadCount: $("unread-count"), markRead: $("mark-read"), clear: $("clear"),
  notificationEmpty: $("notification-empty"), notificationList: $("notification-list"), notificationTemplate: $("notification-template"),
  eventList: $("event-list"),
};

/** @type {PushClient | null} */
let client = null;
let connections = 0;
/** Rendered notifications by stream and offset: history and live copies of one are shown once. */
const rendered = new Set();
const baseTitle = document.title;

// ---------------------------------------------------------------------------
// Helpers

const splitList = (value) => [...new Set(String(value).split(",").map((s) => s.trim()).filter(Boolean))];

function showMessage(el, text, data = {}) {
  el.textContent = text;
  Object.assign(el.dataset, data);
  el.hidden = false;
}

function hideMessage(el) {
  el.textContent = "";
  el.hidden = true;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });

/** A stable key per browser, so that nginx keeps a long-polling or SSE connection on one node. */
function ensureAffinityCookie() {
  if (!/(?:^|;\s*)push_affinity=/.test(document.cookie)) {
    const key = crypto.getRandomValues(new Uint32Array(2)).join("-");
    document.cookie = `push_affinity=${key}; path=/; SameSite=Lax`;
  }
}

async function fetchJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: reported below with the status.
  }
  if (!response.ok) {
    const errors = json?.errors ? Object.entries(json.errors).map(([field, messages]) => `${field}: ${messages.join(" ")}`).join("; ") : "";
    const error = new Error(`${response.status} ${json?.title ?? response.statusText}${errors ? ` — ${errors}` : json?.detail ? ` — ${json.detail}` : ""}`);
    error.status = response.status;
    throw error;
  }
  return json;
}

// ---------------------------------------------------------------------------
// Connection

function renderState(event) {
  ui.status.dataset.state = event.state;
  ui.status.textContent = event.state;
  if (event.state === "connected") ui.status.dataset.connections = String(++connections);
  const transport = event.state === "connected" ? event.transport ?? "" : "";
  ui.transport.dataset.transport = transport;
  ui.transport.textContent = transport ? TRANSPORT_LABELS[transport] : "—";
  const signedIn = client !== null;
  ui.subscribe.disabled = !signedIn;
  ui.signout.disabled = !signedIn;
  ui.signin.disabled = signedIn;
  logEvent(event.state + (event.state === "connected" && transport ? ` over ${TRANSPORT_LABELS[transport]}` : "")
    + (event.error ? ` — ${event.error.message}` : ""), event.state);
}

function logEvent(text, kind = "info") {
  const li = document.createElement("li");
  li.dataset.kind = kind;
  const time = document.createElement("time");
  time.textContent = timeFormat.format(new Date());
  li.append(time, " ", text);
  ui.eventList.prepend(li);
  while (ui.eventList.children.length > MAX_EVENTS) ui.eventList.lastElementChild.remove();
}

async function signIn(event) {
  event.preventDefault();
  hideMessage(ui.signinError);
  const user = ui.userInput.value.trim();
  if (!user) {
    showMessage(ui.signinError, "Enter a user id.");
    return;
  }
  const patterns = splitList(ui.patternsInput.value);
  const transport = TRANSPORTS[ui.transportSelect.value];
  ensureAffinityCookie();
  ui.signin.disabled = true;

  const next = new PushClient({
    url: new URL(".", location.href).href,
    // Called before every connection: each reconnect gets a fresh token.
    accessTokenFactory: async () => (await fetchJson("demo/token", { user, topics: patterns })).token,
    ...(transport ? { transport } : {}),
    protocol: ui.protocolSelect.value,
  });
  next.onAny(renderNotification);
  next.onStateChange(renderState);
  next.onRecoveryFailed((failure) =>
    logEvent(`${failure.stream}: some notifications could not be recovered (${failure.reason}); continuing from offset ${failure.position.offset}`, "warning"));
  next.onSubscriptionFailed((error) => {
    removeTopicChip(error.topic);
    showMessage(ui.topicError, error.message, { code: error.code });
  });
  client = next;
  try {
    for (const chip of ui.topicList.querySelectorAll("[data-topic]")) await next.subscribe(chip.dataset.topic);
    await next.start();
  } catch (error) {
    client = null;
    ui.signin.disabled = false;
    showMessage(ui.signinError, `Could not connect: ${error.message}`);
    return;
  }
  ui.currentUser.textContent = user;
  document.title = `${user} · ${baseTitle}`;
  // The inbox starts with the user's recent notifications; live ones follow.
  try {
    const page = await next.history(`user:${user}`, { limit: 20 });
    for (const notification of [...page.notifications].reverse()) renderNotification(notification, { read: true });
  } catch (error) {
    logEvent(`history: ${error.message}`, "warning");
  }
}

async function signOut() {
  const current = client;
  client = null;
  await current?.stop();
  ui.currentUser.textContent = "—";
  document.title = baseTitle;
  ui.subscribe.disabled = true;
  ui.signout.disabled = true;
  ui.signin.disabled = false;
}

// ---------------------------------------------------------------------------
// Topics

function addTopicChip(topic) {
  if (ui.topicList.querySelector(`[data-topic="${CSS.escape(topic)}"]`)) return;
  const chip = ui.topicTemplate.content.firstElementChild.cloneNode(true);
  chip.dataset.topic = topic;
  chip.querySelector("[data-testid=topic-name]").textContent = topic;
  chip.querySelector("button").addEventListener("click", async () => {
    chip.remove();
    ui.topicEmpty.hidden = ui.topicList.children.length > 0;
    await client?.unsubscribe(topic).catch((error) => showMessage(ui.topicError, error.message));
  });
  ui.topicList.append(chip);
  ui.topicEmpty.hidden = true;
}

function removeTopicChip(topic) {
  ui.topicList.querySelector(`[data-topic="${CSS.escape(topic)}"]`)?.remove();
  ui.topicEmpty.hidden = ui.topicList.children.length > 0;
}

async function subscribe(event) {
  event.preventDefault();
  hideMessage(ui.topicError);
  const topic = ui.topicInput.value.trim();
  if (!topic || !client) return;
  ui.subscribe.disabled = true;
  try {
    await client.subscribe(topic);
    addTopicChip(topic);
    ui.topicInput.value = "";
  } catch (error) {
    showMessage(ui.topicError, error.message, { code: error.code ?? "" });
  } finally {
    ui.subscribe.disabled = client === null;
  }
}

// ---------------------------------------------------------------------------
// Publishing (through the demo endpoint: the API key stays on the server)

function renderTarget() {
  const target = ui.publishTarget.value;
  ui.publishToField.hidden = target !== "users" && target !== "topic";
  ui.publishToLabel.firstChild.textContent = target === "topic" ? "Topic " : "Users ";
}

async function publish(event) {
  event.preventDefault();
  hideMessage(ui.publishResult);
  hideMessage(ui.publishError);
  const body = { type: ui.publishType.value.trim() };
  const dataText = ui.publishData.value.trim();
  if (dataText) {
    try {
      body.data = JSON.parse(dataText);
    } catch (error) {
      showMessage(ui.publishError, `Data is not valid JSON: ${error.message}`);
      return;
    }
  }
  const target = ui.publishTarget.value;
  if (target === "me") body.users = [ui.userInput.value.trim()];
  else if (target === "users") body.users = splitList(ui.publishTo.value);
  else if (target === "topic") body.topics = splitList(ui.publishTo.value);
  else body.broadcast = true;
  ui.publish.disabled = true;
  try {
    const accepted = await fetchJson("demo/publish", body);
    showMessage(ui.publishResult, `Accepted: ${accepted.id}`, { id: accepted.id });
  } catch (error) {
    showMessage(ui.publishError, error.message, { status: String(error.status ?? 0) });
  } finally {
    ui.publish.disabled = false;
  }
}

// ---------------------------------------------------------------------------
// Notifications

function renderNotification(notification, { read = false } = {}) {
  const key = `${notification.stream}#${notification.epoch}#${notification.offset}`;
  if (rendered.has(key)) return;
  rendered.add(key);
  const li = ui.notificationTemplate.content.firstElementChild.cloneNode(true);
  li.dataset.id = notification.id;
  li.dataset.stream = notification.stream;
  li.dataset.offset = String(notification.offset);
  if (read) li.classList.remove("unread");
  li.querySelector("[data-testid=notification-type]").textContent = notification.type;
  const badge = li.querySelector("[data-testid=notification-stream]");
  badge.textContent = `${notification.stream} #${notification.offset}`;
  badge.dataset.kind = notification.broadcast ? "broadcast" : notification.topic !== undefined ? "topic" : "user";
  const time = li.querySelector("time");
  time.dateTime = notification.createdAt.toISOString();
  time.textContent = timeFormat.format(notification.createdAt);
  const data = li.querySelector("[data-testid=notification-data]");
  data.textContent = notification.data === null ? "no data" : JSON.stringify(notification.data, null, 2);
  data.dataset.null = String(notification.data === null);
  li.querySelector("[data-testid=notification-id]").textContent = notification.id;
  li.addEventListener("click", () => {
    li.classList.remove("unread");
    renderUnread();
  });
  ui.notificationList.prepend(li);
  while (ui.notificationList.children.length > MAX_NOTIFICATIONS) ui.notificationList.lastElementChild.remove();
  renderUnread();
}

function renderUnread() {
  const unread = ui.notificationList.querySelectorAll(".note.unread").length;
  ui.unreadCount.textContent = String(unread);
  ui.unreadCount.dataset.count = String(unread);
  ui.notificationEmpty.hidden = ui.notificationList.children.length > 0;
  document.title = `${unread > 0 ? `(${unread}) ` : ""}${client ? `${ui.currentUser.textContent} · ` : ""}${baseTitle}`;
}

// ---------------------------------------------------------------------------
// Wiring

const query = new URLSearchParams(location.search);
if (query.get("user")) ui.userInput.value = query.get("user");
if (TRANSPORTS[query.get("transport")?.toLowerCase()]) ui.transportSelect.value = query.get("transport").toLowerCase();
if (query.get("protocol")?.toLowerCase() === "messagepack") ui.protocolSelect.value = "messagepack";

ui.signinForm.addEventListener("submit", signIn);
ui.signout.addEventListener("click", signOut);
ui.subscribeForm.addEventListener("submit", subscribe);
ui.publishForm.addEventListener("submit", publish);
ui.publishTarget.addEventListener("change", renderTarget);
ui.markRead.addEventListener("click", () => {
  for (const li of ui.notificationList.querySelectorAll(".note.unread")) li.classList.remove("unread");
  renderUnread();
});
ui.clear.addEventListener("click", () => {
  ui.notificationList.replaceChildren();
  renderUnread();
});
renderTarget();
document.body.dataset.ready = "true";
