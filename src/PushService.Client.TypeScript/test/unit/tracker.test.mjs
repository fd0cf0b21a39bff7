// The stream rules (docs/PROTOCOL.md §2, "Client rules") without I/O: each notification handed on
// exactly once, in offset order, across overtaking pushes, overlapping replays, reconnects and epoch
// changes. The first part has the intent of every case of the .NET SDK's StreamTrackerTests, with
// the same names and logs, so the two SDKs are held to one behaviour; the second part covers what
// only those cases' reading of the rules implies (stale answers, every recovered:false reason, …).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { StreamTracker } from "../../dist/tracker.js";

const S = "topic:news";
const E1 = "e1";
const E2 = "e2";

/** A notification; `source` ("replay", "live") is carried in `type` so the log shows which copy was handed on. */
function N(offset, { source = "", epoch = E1, stream = S } = {}) {
  return { id: `${stream}/${epoch}/${offset}`, type: source, data: null, createdAt: new Date(0), broadcast: false, stream, offset, epoch };
}
const replay = (offset, options = {}) => N(offset, { source: "replay", ...options });

/** A tracker whose callbacks write one log: "deliver 3 replay", "at topic:news 0@e1", "failed topic:news gapBeyondRetention 2@e1". */
function Tracker({ pendingCapacity = 100, seeds } = {}) {
  const log = [];
  const fetches = [];
  const tracker = new StreamTracker({
    deliver: (n) => log.push(`deliver ${n.offset}${n.type ? ` ${n.type}` : ""}`),
    moved: (stream, p, reason) => log.push(reason === null ? `at ${stream} ${p.offset}@${p.epoch}` : `failed ${stream} ${reason} ${p.offset}@${p.epoch}`),
    fetch: (stream, request, from) => fetches.push({ stream, request, from }),
  }, seeds, pendingCapacity);
  const self = {
    tracker,
    log,
    fetches,
    lastFrom: undefined,
    get deliveries() {
      return log.filter((entry) => entry.startsWith("deliver"));
    },
    live: (...notifications) => notifications.forEach((n) => tracker.live(n)),
    /** A Subscribe/Resume request about these streams, as the client sends it. */
    request: (...streams) => {
      const request = tracker.beginRequest();
      for (const stream of streams) self.lastFrom = tracker.addToRequest(request, stream);
      return request;
    },
    answer: (request, stream, recovered, offset, epoch, ...notifications) => tracker.apply(request, stream, recovered, offset, epoch, notifications),
    /** Subscribes from "no position": the service answers the stream's current position. */
    start: (stream, offset, epoch = E1) => self.answer(self.request(stream), stream, true, offset, epoch),
  };
  return self;
}

/** The only fetch asked for so far. */
function single(fetches) {
  assert.equal(fetches.length, 1, `expected one fetch, got ${JSON.stringify(fetches)}`);
  return fetches[0];
}

describe("StreamTracker: the cases of the .NET SDK's StreamTrackerTests", () => {
  test("delivers in offset order", () => {
    const t = Tracker();
    t.start(S, 0);

    t.live(N(1), N(2), N(3));

    assert.deepEqual(t.log, ["at topic:news 0@e1", "deliver 1", "deliver 2", "deliver 3"]);
  });

  test("duplicates are dropped", () => {
    const t = Tracker();
    t.start(S, 0);

    t.live(N(1), N(1), N(2), N(1), N(2));

    assert.deepEqual(t.deliveries, ["deliver 1", "deliver 2"]);
  });

  test("an out-of-order live notification is held back and the gap fetched", () => {
    const t = Tracker();
    t.start(S, 0);

    t.live(N(1), N(3));
    assert.deepEqual(t.deliveries, ["deliver 1"]);
    const fetch = single(t.fetches);
    assert.deepEqual([fetch.stream, fetch.from], [S, { offset: 1, epoch: E1 }]);

    t.answer(fetch.request, S, true, 3, E1, replay(2), replay(3));
    t.live(N(2));

    assert.deepEqual(t.deliveries, ["deliver 1", "deliver 2 replay", "deliver 3 replay"]);
  });

  test("a live notification that fills the gap first makes the late answer all duplicates", () => {
    const t = Tracker();
    t.start(S, 0);
    t.live(N(1), N(3));
    const fetch = single(t.fetches);

    t.live(N(2));
    t.answer(fetch.request, S, true, 3, E1, replay(2), replay(3));

    assert.deepEqual(t.deliveries, ["deliver 1", "deliver 2", "deliver 3"]);
    single(t.fetches);
  });

  test("a replay overlapping live notifications delivers each once", () => {
    const t = Tracker();
    t.start(S, 0);
    t.live(N(1), N(2));

    // Reconnect: live 4 and 5 arrive before the Resume answer, which covers 3 and 4.
    t.tracker.newConnection();
    const resume = t.request(S);
    t.live(N(4), N(5));
    assert.deepEqual(t.deliveries, ["deliver 1", "deliver 2"]);
    t.answer(resume, S, true, 4, E1, replay(3), replay(4));
    t.live(N(4), N(5), N(6));

    assert.deepEqual(t.deliveries, ["deliver 1", "deliver 2", "deliver 3 replay", "deliver 4 replay", "deliver 5", "deliver 6"]);
    assert.deepEqual(t.fetches, []);
  });

  test("live notifications before the first answer are buffered, then trimmed to the start", () => {
    const t = Tracker();
    const subscribe = t.request(S);

    t.live(N(7), N(8), N(9));
    assert.deepEqual(t.deliveries, []);
    t.answer(subscribe, S, true, 7, E1); // Subscribe's position: 7 is before the start.

    assert.deepEqual(t.log, ["at topic:news 7@e1", "deliver 8", "deliver 9"]);
  });

  test("recovered:false tells the app and continues from the returned position", () => {
    const t = Tracker();
    t.start(S, 0);
    t.live(N(1));

    t.tracker.newConnection();
    const resume = t.request(S);
    t.live(N(20), N(21));
    t.answer(resume, S, false, 20, E1);

    assert.deepEqual(t.log.slice(1), ["deliver 1", "failed topic:news gapBeyondRetention 20@e1", "deliver 21"]);
    assert.deepEqual(t.fetches, []);
  });

  test("recovered:false in a new epoch drops what was buffered in the old one", () => {
    const t = Tracker();
    t.start(S, 5);

    t.tracker.newConnection();
    const resume = t.request(S);
    t.live(N(6)); // Pushed in e1 just before the history was lost.
    t.answer(resume, S, false, 2, E2);
    t.live(N(3, { epoch: E2 }), N(6));

    assert.deepEqual(t.log.slice(1), ["failed topic:news epochChanged 2@e2", "deliver 3"]);
  });

  test("an epoch change on a live notification restarts at zero and fetches what precedes it", () => {
    const t = Tracker();
    t.start(S, 0);
    t.live(N(1), N(2));

    t.live(N(3, { epoch: E2 }));
    const fetch = single(t.fetches);
    assert.deepEqual(fetch.from, { offset: 0, epoch: E2 });
    t.answer(fetch.request, S, true, 3, E2, replay(1, { epoch: E2 }), replay(2, { epoch: E2 }), replay(3, { epoch: E2 }));
    t.live(N(3, { epoch: E1 }), N(4, { epoch: E2 })); // A late one of the old epoch is dropped.

    assert.deepEqual(t.log.slice(1),
      ["deliver 1", "deliver 2", "failed topic:news epochChanged 0@e2", "deliver 1 replay", "deliver 2 replay", "deliver 3 replay", "deliver 4"]);
  });

  test("an answer about the old epoch is ignored after a live epoch change", () => {
    const t = Tracker();
    t.start(S, 0);
    t.live(N(2));
    const oldFetch = single(t.fetches);

    t.live(N(1, { epoch: E2 }));
    t.answer(oldFetch.request, S, false, 1, E2);

    assert.deepEqual(t.log.slice(1), ["failed topic:news epochChanged 0@e2", "deliver 1"]);
  });

  test("pending is bounded, and what it dropped is fetched", () => {
    const t = Tracker({ pendingCapacity: 3 });
    t.start(S, 0);
    t.live(N(2));
    const first = single(t.fetches);

    t.live(N(3), N(4), N(5), N(6)); // Only 2, 3 and 4 fit.
    t.answer(first.request, S, true, 2, E1, replay(1), replay(2));
    const second = t.fetches[1];
    assert.deepEqual(second?.from, { offset: 4, epoch: E1 });
    t.answer(second.request, S, true, 6, E1, replay(5), replay(6));

    assert.deepEqual(t.deliveries, ["deliver 1 replay", "deliver 2 replay", "deliver 3", "deliver 4", "deliver 5 replay", "deliver 6 replay"]);
  });

  test("a gap the service cannot fill is reported and skipped", () => {
    const t = Tracker();
    t.start(S, 0);
    t.live(N(3));
    const fetch = single(t.fetches);

    // Asked after 3 had arrived, the service has nothing after 0: 1 and 2 are gone.
    t.answer(fetch.request, S, true, 3, E1);

    assert.deepEqual(t.log.slice(1), ["failed topic:news gapBeyondRetention 2@e1", "deliver 3"]);
    single(t.fetches);
  });

  test("answers to requests of an earlier connection are ignored", () => {
    const t = Tracker();
    t.start(S, 0);
    t.live(N(2));
    const fetch = single(t.fetches);

    t.tracker.newConnection();
    t.answer(fetch.request, S, true, 2, E1, replay(1), replay(2));
    assert.deepEqual(t.deliveries, []);
    const resume = t.request(S);
    t.answer(resume, S, true, 2, E1, replay(1), replay(2));

    assert.deepEqual(t.deliveries, ["deliver 1 replay", "deliver 2 replay"]);
  });

  test("the user stream and broadcast are adopted unasked, but unknown topics are not", () => {
    const t = Tracker();
    const resume = t.request("broadcast");
    t.live(N(5, { stream: "user:alice" }), N(1, { stream: "topic:other" }));

    t.tracker.setUser("alice");
    t.answer(resume, "user:alice", true, 4, E1); // Not asked about: its current position.
    t.answer(resume, "broadcast", true, 0, E1);

    assert.deepEqual(t.log, ["at user:alice 4@e1", "deliver 5", "at broadcast 0@e1"]);
    assert.equal(t.tracker.userStream, "user:alice");
  });

  test("saved positions are resumed from, and positions follow acknowledgements", () => {
    const t = Tracker({ seeds: { [S]: { offset: 10, epoch: E1 }, "user:alice": { offset: 3, epoch: E1 } } });
    assert.equal(t.tracker.userStream, "user:alice");

    const resume = t.request(S);
    assert.deepEqual(t.lastFrom, { offset: 10, epoch: E1 });
    t.answer(resume, S, true, 11, E1, replay(11));
    assert.deepEqual(t.tracker.positions[S], { offset: 10, epoch: E1 }); // Not handed yet.
    t.tracker.acknowledge(S, { offset: 11, epoch: E1 });

    assert.deepEqual(t.tracker.positions[S], { offset: 11, epoch: E1 });
    assert.deepEqual(t.tracker.positions["user:alice"], { offset: 3, epoch: E1 });
    t.tracker.forget(S);
    t.tracker.setUser("bob");
    assert.deepEqual(t.tracker.positions, {});
  });
});

describe("StreamTracker: stale answers, failure reasons and other edges of the rules", () => {
  test("each recovered:false reason is named: epoch changed, gap beyond retention, position ahead", () => {
    const [A, B, C] = ["topic:a", "topic:b", "topic:c"];
    const t = Tracker({ seeds: { [A]: { offset: 5, epoch: E1 }, [B]: { offset: 5, epoch: E1 }, [C]: { offset: 5, epoch: E1 } } });
    t.tracker.newConnection();
    const resume = t.request(A, B, C);

    t.answer(resume, A, false, 3, E2); // The history was lost: a new epoch.
    t.answer(resume, B, false, 40, E1); // Offsets 6… were trimmed.
    t.answer(resume, C, false, 2, E1); // The saved position is ahead of the stream.
    t.live(N(4, { stream: A, epoch: E2 }), N(41, { stream: B }), N(3, { stream: C }));

    assert.deepEqual(t.log, [
      "failed topic:a epochChanged 3@e2", "failed topic:b gapBeyondRetention 40@e1", "failed topic:c positionAhead 2@e1",
      "deliver 4", "deliver 41", "deliver 3",
    ]);
    assert.deepEqual(t.fetches, []);
  });

  test("an answer to a request that a newer one superseded is ignored; the newer one's is applied", () => {
    const t = Tracker();
    t.start(S, 0);
    t.live(N(1), N(3));
    const fetch = single(t.fetches);
    const again = t.request(S); // The app subscribes again while the fetch is in flight: a Resume from 1.
    assert.deepEqual(t.lastFrom, { offset: 1, epoch: E1 });

    t.answer(fetch.request, S, true, 3, E1, replay(2), replay(3));
    assert.deepEqual(t.deliveries, ["deliver 1"]);
    assert.equal(t.tracker.isCurrent(fetch.request, S), false);
    t.answer(again, S, true, 3, E1, N(2, { source: "again" }), N(3, { source: "again" }));

    assert.deepEqual(t.deliveries, ["deliver 1", "deliver 2 again", "deliver 3 again"]);
    single(t.fetches);
  });

  test("a late recovered:false about a gap that live notifications filled meanwhile tells the app nothing", () => {
    const t = Tracker();
    t.start(S, 0);
    t.live(N(1), N(3));
    const fetch = single(t.fetches);

    t.live(N(2));
    t.answer(fetch.request, S, false, 9, E1); // About position 1; the stream is at 3 by now.
    t.live(N(4));

    assert.deepEqual(t.log.slice(1), ["deliver 1", "deliver 2", "deliver 3", "deliver 4"]);
    single(t.fetches);
  });

  test("a recovered:false that the stream outran is asked again from the new position, not reported", () => {
    const t = Tracker();
    t.start(S, 0);
    t.live(N(1), N(5));
    const first = single(t.fetches);
    assert.deepEqual(first.from, { offset: 1, epoch: E1 });

    t.live(N(2), N(3)); // 4 is still missing, and nothing arrived beyond what was known when asking.
    t.answer(first.request, S, false, 5, E1);
    assert.equal(t.fetches.length, 2);
    const second = t.fetches[1];
    assert.deepEqual(second.from, { offset: 3, epoch: E1 });
    t.answer(second.request, S, true, 5, E1, replay(4), replay(5));

    assert.deepEqual(t.log.slice(1), ["deliver 1", "deliver 2", "deliver 3", "deliver 4 replay", "deliver 5 replay"]);
  });

  test("an epoch change while a fetch is in flight asks for the new epoch's gap at once; the old answer changes nothing", () => {
    const t = Tracker();
    t.start(S, 0);
    t.live(N(2));
    const old = single(t.fetches);

    t.live(N(3, { epoch: E2 }));
    assert.equal(t.fetches.length, 2);
    const fresh = t.fetches[1];
    assert.deepEqual(fresh.from, { offset: 0, epoch: E2 });
    t.answer(old.request, S, true, 2, E1, replay(1), replay(2));
    t.answer(fresh.request, S, true, 3, E2, replay(1, { epoch: E2 }), replay(2, { epoch: E2 }), replay(3, { epoch: E2 }));

    assert.deepEqual(t.log.slice(1), ["failed topic:news epochChanged 0@e2", "deliver 1 replay", "deliver 2 replay", "deliver 3 replay"]);
  });

  test("an answer of an earlier connection is not taken for the service's unasked broadcast entry", () => {
    const t = Tracker();
    t.start("broadcast", 0);
    t.live(N(2, { stream: "broadcast" }));
    const fetch = single(t.fetches);

    t.tracker.newConnection();
    t.answer(fetch.request, "broadcast", true, 2, E1, replay(1, { stream: "broadcast" }), replay(2, { stream: "broadcast" }));
    t.live(N(3, { stream: "broadcast" }));
    assert.deepEqual(t.log, ["at broadcast 0@e1"]);
    const resume = t.request("broadcast");
    t.answer(resume, "broadcast", true, 3, E1, replay(1, { stream: "broadcast" }), replay(2, { stream: "broadcast" }), replay(3, { stream: "broadcast" }));

    assert.deepEqual(t.log, ["at broadcast 0@e1", "deliver 1 replay", "deliver 2 replay", "deliver 3 replay"]);
  });

  test("after skipping a gap the service could not fill, a further gap is still fetched", () => {
    const t = Tracker();
    t.start(S, 0);
    t.live(N(3));
    const first = single(t.fetches);
    t.live(N(6)); // News while the fetch is in flight: an empty answer is not yet a verdict.

    t.answer(first.request, S, true, 3, E1);
    assert.equal(t.fetches.length, 2);
    assert.deepEqual(t.deliveries, []);
    t.answer(t.fetches[1].request, S, true, 6, E1); // Asked after 6 arrived: 1 and 2 are gone.
    assert.equal(t.fetches.length, 3);
    const third = t.fetches[2];
    assert.deepEqual(third.from, { offset: 3, epoch: E1 });
    t.answer(third.request, S, true, 6, E1, replay(4), replay(5), replay(6));

    assert.deepEqual(t.log.slice(1), ["failed topic:news gapBeyondRetention 2@e1", "deliver 3", "deliver 4 replay", "deliver 5 replay", "deliver 6 replay"]);
  });

  test("an abandoned fetch (the call failed) is asked again on the next live notification", () => {
    const t = Tracker();
    t.start(S, 0);
    t.live(N(2));
    const failed = single(t.fetches);

    t.tracker.abandon(failed.request, S);
    assert.equal(t.tracker.isCurrent(failed.request, S), false);
    t.live(N(3));
    assert.equal(t.fetches.length, 2);
    const retry = t.fetches[1];
    assert.deepEqual(retry.from, { offset: 0, epoch: E1 });
    t.answer(retry.request, S, true, 3, E1, replay(1), replay(2), replay(3));

    assert.deepEqual(t.deliveries, ["deliver 1 replay", "deliver 2 replay", "deliver 3 replay"]);
  });

  test("the pending bound holds while a resume answer is awaited, and what it dropped is fetched after", () => {
    const t = Tracker({ pendingCapacity: 3 });
    t.start(S, 0);
    t.live(N(1));

    t.tracker.newConnection();
    const resume = t.request(S);
    t.live(N(7), N(6), N(5), N(4), N(3)); // Out of order and over the bound: 3, 4 and 5 are kept.
    t.answer(resume, S, true, 2, E1, replay(2)); // Read before 3 was stored.
    const fetch = single(t.fetches);
    assert.deepEqual(fetch.from, { offset: 5, epoch: E1 });
    t.answer(fetch.request, S, true, 7, E1, replay(6), replay(7));

    assert.deepEqual(t.deliveries, ["deliver 1", "deliver 2 replay", "deliver 3", "deliver 4", "deliver 5", "deliver 6 replay", "deliver 7 replay"]);
  });

  test("stragglers of a forgotten topic are dropped, and it leaves the positions", () => {
    const t = Tracker();
    t.start(S, 0);
    t.live(N(1));
    t.tracker.acknowledge(S, { offset: 1, epoch: E1 });

    t.tracker.forget(S);
    t.live(N(2));

    assert.deepEqual(t.deliveries, ["deliver 1"]);
    assert.deepEqual(t.tracker.positions, {});
  });

  test("another user's stream is not adopted once the user is known", () => {
    const t = Tracker();
    t.tracker.setUser("alice");
    t.live(N(1, { stream: "user:mallory" }), N(1, { stream: "user:alice" }));
    const resume = t.request("user:alice");
    t.answer(resume, "user:alice", true, 0, E1);

    assert.deepEqual(t.log, ["at user:alice 0@e1", "deliver 1"]);
  });

  test("a notification without a stream (a service older than positions) is handed on as is", () => {
    const t = Tracker();
    const old = { ...N(0), stream: "", epoch: "" };

    t.live(old, old);

    assert.deepEqual(t.deliveries, ["deliver 0", "deliver 0"]);
  });

  test("saved positions without an epoch or with a bad offset are ignored", () => {
    const t = Tracker({ seeds: { [S]: { offset: 4, epoch: "" }, "topic:b": { offset: -1, epoch: E1 }, "topic:c": { offset: 1.5, epoch: E1 }, "topic:d": { offset: 2, epoch: E1 } } });

    assert.deepEqual(t.tracker.positions, { "topic:d": { offset: 2, epoch: E1 } });
    t.request(S);
    assert.deepEqual(t.lastFrom, { offset: 0, epoch: "" });
  });
});
