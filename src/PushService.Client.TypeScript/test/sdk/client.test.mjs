// The SDK against real PushService nodes (dotnet processes) and, for the cross-node case, a real
// redis-server. Network failures are real too: a TCP proxy drops the client's connections.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { JsonHubProtocol, MessageType } from "@microsoft/signalr";
import { PushClient, PushErrorCodes, PushSubscriptionError, memoryPositions } from "../../dist/index.js";
import { Inbox } from "../support/inbox.mjs";
import { publish, startNode, startProxy, startRedis, stopAll, token, uniqueName, within } from "../support/service.mjs";

const FAST_RECONNECT = () => 200;

/** A started client whose notifications, state changes and recovery failures are collected. */
async function connect(url, user, { topics = [], tokenTopics = topics, ...options } = {}) {
  const inbox = new Inbox();
  const states = new Inbox();
  const failures = new Inbox();
  const tokens = { calls: 0 };
  const client = new PushClient({
    url,
    accessTokenFactory: () => {
      tokens.calls++;
      return token(user, { topics: tokenTopics, ...options.token });
    },
    reconnectDelay: FAST_RECONNECT,
    ...options,
  });
  client.onAny((notification) => inbox.add(notification));
  client.onStateChange((event) => states.add(event));
  client.onRecoveryFailed((event) => failures.add(event));
  for (const topic of topics) await client.subscribe(topic);
  await client.start();
  return { client, inbox, states, failures, tokens };
}

const ids = (items) => items.map((n) => n.id);

/**
 * The JSON hub protocol, watched: what arrives live (`notification` invocations) and in Resume
 * answers, as the service sent it — before the SDK orders and deduplicates it for the app — and a
 * hook called as a Resume is written, before it leaves.
 */
class WatchedProtocol {
  constructor() {
    this.inner = new JsonHubProtocol();
    this.name = this.inner.name;
    this.version = this.inner.version;
    this.transferFormat = this.inner.transferFormat;
    this.live = new Inbox();
    this.resumeAnswers = new Inbox();
    this.resumeIds = new Set();
    this.resumes = 0;
    this.onResume = undefined;
  }

  parseMessages(input, logger) {
    const messages = this.inner.parseMessages(input, logger);
    for (const message of messages) {
      if (message.type === MessageType.Invocation && message.target === "notification") this.live.add(message.arguments[0]);
      if (message.type === MessageType.Completion && this.resumeIds.delete(message.invocationId)) this.resumeAnswers.add(message.result);
    }
    return messages;
  }

  writeMessage(message) {
    if (message.type === MessageType.Invocation && message.target === "Resume") {
      this.resumeIds.add(message.invocationId);
      this.resumes++;
      this.onResume?.();
    }
    return this.inner.writeMessage(message);
  }
}

describe("PushClient against one node", () => {
  let node;
  let proxy;
  const clients = [];
  before(async () => {
    node = await startNode({ nodeId: uniqueName("sdk") });
    proxy = await startProxy(node);
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await proxy?.close();
    await stopAll(node);
  });
  const track = (connected) => (clients.push(connected.client), connected);

  test("receives its user's, its topics' and broadcast notifications, each once, through typed handlers", async () => {
    const user = uniqueName("alice");
    const topic = uniqueName("news");
    const { client, inbox } = track(await connect(node.url, user, { topics: [topic] }));
    const typed = new Inbox();
    client.on("email.new", (n) => typed.add(n.data.subject));

    const direct = await publish(node.url, { type: "email.new", users: [user], data: { subject: "Hi" } });
    const onTopic = await publish(node.url, { type: "article", topics: [topic], data: { title: "T" } });
    const everyone = await publish(node.url, { type: "maintenance", broadcast: true });

    const received = await inbox.waitForCount((n) => [direct, onTopic, everyone].includes(n.id), 3, "the three notifications");
    const byId = Object.fromEntries(received.map((n) => [n.id, n]));
    assert.equal(byId[direct].stream, `user:${user}`);
    assert.equal(byId[direct].user, user);
    assert.deepEqual(byId[direct].data, { subject: "Hi" });
    assert.ok(byId[direct].createdAt instanceof Date && !Number.isNaN(byId[direct].createdAt.getTime()));
    assert.equal(byId[onTopic].stream, `topic:${topic}`);
    assert.equal(byId[onTopic].topic, topic);
    assert.equal(byId[everyone].stream, "broadcast");
    assert.equal(byId[everyone].broadcast, true);
    assert.equal(byId[everyone].data, null);
    await typed.waitFor((subject) => subject === "Hi", "the typed handler");
    assert.equal(client.userId, user);
    assert.equal(client.state, "connected");
    assert.equal(client.transport, "WebSockets");

    // A sentinel proves nothing else (no duplicate) arrived before it.
    const sentinel = await publish(node.url, { type: "sentinel", users: [user] });
    await inbox.waitFor((n) => n.id === sentinel, "the sentinel");
    assert.deepEqual(inbox.items.filter((n) => n.id === direct).length, 1);
    assert.equal(typed.items.length, 1);
  });

  test("a refused subscription rejects with the hub error code and the connection stays usable", async () => {
    const user = uniqueName("bob");
    const { client, inbox } = track(await connect(node.url, user, { tokenTopics: ["news"] }));

    const forbidden = await client.subscribe("secret").then(() => undefined, (error) => error);
    assert.ok(forbidden instanceof PushSubscriptionError, `expected a PushSubscriptionError, got ${forbidden}`);
    assert.equal(forbidden.code, PushErrorCodes.forbidden);
    assert.equal(forbidden.topic, "secret");
    const invalid = await client.subscribe("not a topic!").then(() => undefined, (error) => error);
    assert.equal(invalid?.code, PushErrorCodes.invalidTopic);
    assert.deepEqual(client.topics, []);

    await client.subscribe("news");
    const id = await publish(node.url, { type: "t", topics: ["news"] });
    await inbox.waitFor((n) => n.id === id, "a notification on the allowed topic");
    assert.equal(client.state, "connected");
  });

  test("after a forced disconnect it resumes with a fresh token: nothing lost, nothing twice, in offset order", async () => {
    const user = uniqueName("carol");
    const topic = uniqueName("prices");
    const { client, inbox, states, tokens } = track(await connect(proxy.url, user, { topics: [topic] }));
    const before = [];
    for (let i = 0; i < 3; i++) before.push(await publish(node.url, { type: "before", users: [user], data: i }));
    await inbox.waitForCount((n) => n.type === "before", 3, "the notifications before the cut");
    const tokensBefore = tokens.calls;

    proxy.cut();
    await states.waitFor((s) => s.state === "reconnecting", "reconnecting");
    const during = [];
    for (let i = 0; i < 5; i++) {
      during.push(await publish(node.url, { type: "during", users: [user], data: i }));
      during.push(await publish(node.url, { type: "during", topics: [topic], data: i }));
    }
    proxy.restore();
    await states.waitFor((s, i) => s.state === "connected" && i > states.items.findIndex((x) => x.state === "reconnecting"), "connected again");
    const after = await publish(node.url, { type: "after", users: [user] });
    await inbox.waitFor((n) => n.id === after, "the notification after the reconnect");

    const received = ids(inbox.items);
    assert.deepEqual(received.filter((id) => !before.includes(id) && !during.includes(id) && id !== after), []);
    for (const id of [...before, ...during, after]) assert.equal(received.filter((x) => x === id).length, 1, `${id} once`);
    for (const stream of [`user:${user}`, `topic:${topic}`]) {
      const offsets = inbox.items.filter((n) => n.stream === stream).map((n) => n.offset);
      assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b), `${stream} in offset order`);
      assert.equal(new Set(offsets).size, offsets.length);
    }
    assert.ok(tokens.calls > tokensBefore, "the token factory was called again for the new connection");
    assert.equal(client.positions[`user:${user}`].offset, inbox.items.filter((n) => n.stream === `user:${user}`).at(-1).offset);
  });

  test("live pushes that overlap the resume's replay after a reconnect reach the app once each, in order", async () => {
    const slow = await startProxy(node);
    const user = uniqueName("olive");
    const stream = `user:${user}`;
    const protocol = new WatchedProtocol();
    let connected;
    try {
      connected = await connect(slow.url, user, { protocol });
      const { inbox, states } = connected;
      const before = [await publish(node.url, { type: "before", users: [user] }), await publish(node.url, { type: "before", users: [user] })];
      await inbox.waitForCount((n) => n.type === "before", 2, "the notifications before the cut");

      slow.cut();
      await states.waitFor((s) => s.state === "reconnecting", "reconnecting");
      const offline = [];
      for (let i = 0; i < 3; i++) offline.push(await publish(node.url, { type: "offline", users: [user], data: i }));
      // The next Resume is held in the proxy: the new connection already receives the user's
      // notifications live, and the Resume, read later, replays them too.
      const resumeSent = new Promise((resolve) => {
        protocol.onResume = () => {
          slow.hold();
          protocol.onResume = undefined;
          resolve();
        };
      });
      slow.restore();
      await within(resumeSent, 20_000, "the Resume on the new connection");
      const overlap = [];
      for (let i = 0; i < 3; i++) overlap.push(await publish(node.url, { type: "overlap", users: [user], data: i }));
      await protocol.live.waitForCount((n) => overlap.includes(n.id), 3, "the overlapping notifications pushed live");
      assert.deepEqual(inbox.items.filter((n) => n.type !== "before"), [], "nothing is handed on before the Resume answer");

      slow.release();
      const answer = (await protocol.resumeAnswers.waitForCount(() => true, 2, "the second connection's Resume answer"))[1];
      const replayed = answer.streams.find((r) => r.stream === stream);
      assert.equal(replayed.recovered, true);
      assert.deepEqual(replayed.notifications.map((n) => n.id), [...offline, ...overlap], "the replay covers the live pushes");
      await states.waitFor((s, i) => s.state === "connected" && i > states.items.findIndex((x) => x.state === "reconnecting"), "connected again");
      const after = await publish(node.url, { type: "after", users: [user] });
      await inbox.waitFor((n) => n.id === after, "the notification after the resume");

      assert.deepEqual(ids(inbox.items), [...before, ...offline, ...overlap, after]);
      const offsets = inbox.items.map((n) => n.offset);
      assert.deepEqual(offsets, offsets.map((_, i) => offsets[0] + i), "offsets without gaps or repeats");
      assert.equal(connected.client.positions[stream].offset, offsets.at(-1));
      assert.equal(protocol.resumes, 2, "one Resume per connection: the overlap needed no gap fetch");
    } finally {
      slow.release();
      await connected?.client.stop();
      await slow.close();
    }
  });

  test("reconnects with a fresh token before the current one expires, without losing anything", async () => {
    const user = uniqueName("dave");
    // exp 8 s away: the client reconnects about 1.6 s before it.
    const { inbox, states, tokens } = track(await connect(node.url, user, { token: { expiresInSeconds: 8 } }));
    const first = await publish(node.url, { type: "first", users: [user] });
    await inbox.waitFor((n) => n.id === first, "the first notification");

    await states.waitFor((s) => s.state === "reconnecting", "the refresh reconnect", 20_000);
    await states.waitForCount((s) => s.state === "connected", 2, "connected with the new token", 20_000);
    assert.ok(tokens.calls >= 2, `the factory was called again (${tokens.calls} calls)`);
    const second = await publish(node.url, { type: "second", users: [user] });
    await inbox.waitFor((n) => n.id === second, "a notification on the new connection");
    assert.deepEqual(ids(inbox.items), [first, second]);
  });

  test("long polling works and is reported as the transport in use", async () => {
    const user = uniqueName("erin");
    const { client, inbox, states } = track(await connect(node.url, user, { transport: "LongPolling" }));
    const id = await publish(node.url, { type: "t", users: [user] });
    await inbox.waitFor((n) => n.id === id, "a notification over long polling");
    assert.equal(client.transport, "LongPolling");
    const connected = await states.waitFor((s) => s.state === "connected", "connected");
    assert.equal(connected.transport, "LongPolling");
  });

  test("positions kept in storage carry across stop and a new client: what was published meanwhile comes once", async () => {
    const user = uniqueName("frank");
    const storage = memoryPositions();
    const first = track(await connect(node.url, user, { storage }));
    const seen = await publish(node.url, { type: "seen", users: [user] });
    await first.inbox.waitFor((n) => n.id === seen, "the first notification");
    await first.client.stop();
    assert.equal(storage.current[`user:${user}`].offset, 1);

    const missed = [await publish(node.url, { type: "missed", users: [user] }), await publish(node.url, { type: "missed", users: [user] })];
    const second = track(await connect(node.url, user, { storage }));
    const got = await second.inbox.waitForCount((n) => n.type === "missed", 2, "the missed notifications");
    assert.deepEqual(ids(got), missed);
    assert.ok(!second.inbox.items.some((n) => n.id === seen));
  });

  test("history pages back through the user's stream, newest first", async () => {
    const user = uniqueName("gina");
    const { client } = track(await connect(node.url, user));
    const published = [];
    for (let i = 0; i < 3; i++) published.push(await publish(node.url, { type: "h", users: [user], data: i }));
    const page = await client.history(`user:${user}`, { limit: 2 });
    assert.deepEqual(ids(page.notifications), [published[2], published[1]]);
    const next = await client.history(`user:${user}`, { before: page.notifications.at(-1).offset });
    assert.deepEqual(ids(next.notifications), [published[0]]);
    const refused = await client.history("user:someone-else").then(() => undefined, (error) => error);
    assert.equal(refused?.code, PushErrorCodes.forbidden);
  });
});

describe("PushClient when missed notifications are gone", () => {
  test("recovered:false is reported to the app, which continues from the service's position", async () => {
    const node = await startNode({ nodeId: uniqueName("short"), settings: { "Push:History:Size": "3" } });
    const proxy = await startProxy(node);
    const user = uniqueName("hank");
    const { client, inbox, failures, states } = await connect(proxy.url, user);
    try {
      const first = await publish(node.url, { type: "first", users: [user] });
      await inbox.waitFor((n) => n.id === first, "the first notification");

      proxy.cut();
      await states.waitFor((s) => s.state === "reconnecting", "reconnecting");
      for (let i = 0; i < 6; i++) await publish(node.url, { type: "lost", users: [user], data: i });
      proxy.restore();

      const failure = await failures.waitFor(() => true, "the recovery failure");
      assert.equal(failure.stream, `user:${user}`);
      assert.equal(failure.reason, "gapBeyondRetention");
      assert.equal(failure.position.offset, 7);
      const next = await publish(node.url, { type: "next", users: [user] });
      const delivered = await inbox.waitFor((n) => n.id === next, "the next notification");
      assert.equal(delivered.offset, 8);
      assert.deepEqual(inbox.items.filter((n) => n.type === "lost"), []);
    } finally {
      await client.stop();
      await proxy.close();
      await stopAll(node);
    }
  });
});

describe("PushClient when a stream's history is lost", () => {
  test("after its node restarts without its memory store the app is told epochChanged, then gets the new epoch's notifications", async () => {
    const first = await startNode({ nodeId: uniqueName("memory") });
    const proxy = await startProxy(first);
    const user = uniqueName("iris");
    let second;
    const { client, inbox, failures, states } = await connect(proxy.url, user);
    try {
      const old = await publish(first.url, { type: "old", users: [user] });
      const delivered = await inbox.waitFor((n) => n.id === old, "the notification of the first epoch");

      await first.kill("SIGKILL");
      await states.waitFor((s) => s.state === "reconnecting", "reconnecting");
      second = await startNode({ nodeId: uniqueName("memory") });
      proxy.retarget(second);

      const failure = await failures.waitFor(() => true, "the recovery failure");
      assert.equal(failure.stream, `user:${user}`);
      assert.equal(failure.reason, "epochChanged");
      assert.notEqual(failure.position.epoch, delivered.epoch);
      const next = await publish(second.url, { type: "next", users: [user] });
      const fresh = await inbox.waitFor((n) => n.id === next, "the notification of the new epoch");
      assert.deepEqual([fresh.offset, fresh.epoch], [failure.position.offset + 1, failure.position.epoch]);
      assert.deepEqual(ids(inbox.items), [old, next]);
      assert.deepEqual(client.positions[`user:${user}`], { offset: fresh.offset, epoch: fresh.epoch });
    } finally {
      await client.stop();
      await proxy.close();
      await stopAll(first, second);
    }
  });
});

describe("PushClient across nodes sharing Redis", () => {
  test("after its node is killed it resumes on another one (MessagePack): everything once, in order", async () => {
    const redis = await startRedis();
    const prefix = uniqueName("shared");
    const a = await startNode({ nodeId: uniqueName("a"), redis, settings: { "Push:RedisPrefix": prefix } });
    const b = await startNode({ nodeId: uniqueName("b"), redis, settings: { "Push:RedisPrefix": prefix } });
    const proxy = await startProxy(a);
    const user = uniqueName("ivy");
    const topic = uniqueName("scores");
    let connected;
    try {
      connected = await connect(proxy.url, user, { topics: [topic], protocol: "messagepack" });
      const { inbox, states, client } = connected;
      const published = [await publish(b.url, { type: "n", users: [user], data: { nested: [1, "two"] } })];
      const first = await inbox.waitFor((n) => n.id === published[0], "a notification published on the other node");
      assert.deepEqual(first.data, { nested: [1, "two"] });
      assert.ok(first.createdAt instanceof Date);

      await a.kill("SIGKILL");
      await states.waitFor((s) => s.state === "reconnecting", "reconnecting");
      for (let i = 0; i < 5; i++) {
        published.push(await publish(b.url, { type: "n", users: [user], data: i }));
        published.push(await publish(b.url, { type: "n", topics: [topic], data: i }));
      }
      proxy.retarget(b);
      await states.waitFor((s) => s.state === "connected" && states.items.indexOf(s) > 1, "connected to the other node");
      const after = await publish(b.url, { type: "after", topics: [topic] });
      published.push(after);
      await inbox.waitFor((n) => n.id === after, "a notification after the reconnect");

      const got = inbox.items.filter((n) => published.includes(n.id));
      assert.deepEqual(ids(got).sort(), [...published].sort());
      assert.equal(new Set(ids(got)).size, got.length, "nothing twice");
      for (const stream of [`user:${user}`, `topic:${topic}`]) {
        const offsets = got.filter((n) => n.stream === stream).map((n) => n.offset);
        assert.deepEqual(offsets, offsets.map((_, i) => offsets[0] + i), `${stream} in offset order without gaps`);
      }
      assert.deepEqual(client.topics, [topic]);
    } finally {
      await connected?.client.stop();
      await proxy.close();
      await stopAll(redis, a, b);
    }
  });
});
