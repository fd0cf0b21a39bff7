// The stream rules (docs/PROTOCOL.md §2) without I/O: the same cases as the .NET SDK's StreamTrackerTests.
import assert from "node:assert/strict";
import { test } from "node:test";
import { StreamTracker } from "../../dist/tracker.js";
import { parseHubError } from "../../dist/errors.js";
import { readJwtExpiry } from "../../dist/token.js";

const S = "topic:news";
const n = (offset, epoch = "e1", tag = "") => ({ id: `${offset}${tag}`, type: "t", data: null, createdAt: new Date(0), broadcast: false, stream: S, offset, epoch });

function tracker(seeds) {
  const log = [];
  const fetches = [];
  const t = new StreamTracker({
    deliver: (x) => log.push(`deliver ${x.id}`),
    moved: (stream, p, reason) => log.push(`at ${stream} ${p.offset}@${p.epoch}${reason ? ` ${reason}` : ""}`),
    fetch: (stream, request, from) => fetches.push({ stream, request, from }),
  }, seeds);
  const start = (offset, epoch = "e1") => {
    const request = t.beginRequest();
    t.addToRequest(request, S);
    t.apply(request, S, true, offset, epoch, []);
  };
  return { t, log, fetches, start, deliveries: () => log.filter((l) => l.startsWith("deliver")) };
}

test("delivers in offset order and drops duplicates", () => {
  const { t, start, deliveries } = tracker();
  start(0);
  for (const x of [n(1), n(1), n(2), n(1), n(3), n(2)]) t.live(x);
  assert.deepEqual(deliveries(), ["deliver 1", "deliver 2", "deliver 3"]);
});

test("holds back out-of-order notifications and fetches the gap; the answer fills it once", () => {
  const { t, start, fetches, deliveries } = tracker();
  start(0);
  t.live(n(1));
  t.live(n(3));
  assert.deepEqual(deliveries(), ["deliver 1"]);
  assert.equal(fetches.length, 1);
  assert.deepEqual(fetches[0].from, { offset: 1, epoch: "e1" });
  t.apply(fetches[0].request, S, true, 3, "e1", [n(2, "e1", " replay"), n(3, "e1", " replay")]);
  t.live(n(2));
  assert.deepEqual(deliveries(), ["deliver 1", "deliver 2 replay", "deliver 3 replay"]);
});

test("buffers live notifications until the subscribe answer arrives (rule 1)", () => {
  const { t, deliveries } = tracker();
  const request = t.beginRequest();
  t.addToRequest(request, S);
  t.live(n(6));
  t.live(n(5));
  assert.deepEqual(deliveries(), []);
  t.apply(request, S, true, 4, "e1", []);
  assert.deepEqual(deliveries(), ["deliver 5", "deliver 6"]);
});

test("a resume that cannot recover reports it and continues from the service's position", () => {
  const { t, log, deliveries } = tracker({ [S]: { offset: 2, epoch: "e1" } });
  t.newConnection();
  const request = t.beginRequest();
  assert.deepEqual(t.addToRequest(request, S), { offset: 2, epoch: "e1" });
  t.apply(request, S, false, 9, "e1", []);
  t.live(n(10));
  assert.ok(log.includes(`at ${S} 9@e1 gapBeyondRetention`), log.join("\n"));
  assert.deepEqual(deliveries(), ["deliver 10"]);
});

test("a live notification of a new epoch reports the loss and fetches what precedes it (rule 5)", () => {
  const { t, log, start, fetches, deliveries } = tracker();
  start(4);
  t.live(n(2, "e2"));
  assert.ok(log.includes(`at ${S} 0@e2 epochChanged`), log.join("\n"));
  assert.deepEqual(fetches.at(-1).from, { offset: 0, epoch: "e2" });
  t.apply(fetches.at(-1).request, S, true, 2, "e2", [n(1, "e2"), n(2, "e2")]);
  assert.deepEqual(deliveries(), ["deliver 1", "deliver 2"]);
  t.live(n(5, "e1")); // A straggler of the retired epoch.
  assert.deepEqual(deliveries(), ["deliver 1", "deliver 2"]);
});

test("positions are what the app was handed, plus saved ones not resumed yet", () => {
  const { t, start } = tracker({ "topic:other": { offset: 3, epoch: "x" } });
  start(0);
  t.live(n(1));
  assert.deepEqual(t.positions, { "topic:other": { offset: 3, epoch: "x" } });
  t.acknowledge(S, { offset: 1, epoch: "e1" });
  assert.deepEqual(t.positions[S], { offset: 1, epoch: "e1" });
});

test("hub error codes are read after 'HubException: ' or at the start", () => {
  assert.deepEqual(parseHubError("An unexpected error occurred invoking 'Subscribe' on the server. HubException: forbidden: Your token does not allow it."),
    { code: "forbidden", reason: "Your token does not allow it." });
  assert.equal(parseHubError("limit_exceeded: too many").code, "limit_exceeded");
  assert.equal(parseHubError("Invocation canceled due to the underlying connection being closed.").code, "unknown");
});

test("the JWT expiry is read from exp, and anything else is no expiry", () => {
  const payload = Buffer.from(JSON.stringify({ sub: "ünïcode", exp: 1_900_000_000 })).toString("base64url");
  assert.equal(readJwtExpiry(`h.${payload}.s`), 1_900_000_000);
  assert.equal(readJwtExpiry("opaque-token"), undefined);
  assert.equal(readJwtExpiry(`h.${Buffer.from("{}").toString("base64url")}.s`), undefined);
});
