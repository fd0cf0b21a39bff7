import type { Notification, RecoveryFailureReason, StreamPosition, StreamPositions } from "./types.js";
import { BROADCAST_STREAM, isUserStream, userStream } from "./streams.js";

/** The default bound of each stream's buffer of notifications waiting for their predecessors. */
export const DEFAULT_PENDING_CAPACITY = 10_000;
const RETIRED_EPOCHS_KEPT = 4;

/** An outstanding Subscribe/Resume for a stream: the position sent and how far the stream was known to reach then. */
interface StreamRequest {
  readonly id: number;
  readonly from: StreamPosition;
  readonly seenEpoch: string;
  readonly seenHead: number;
}

/** What the tracker knows about one stream. */
class StreamState {
  epoch = "";
  offset = 0;
  /** True once a Subscribe/Resume answer set the position on the current connection (rule 1). */
  ready = false;
  /** Waiting for their predecessors, sorted by offset, all in `pendingEpoch`. */
  pending: Notification[] = [];
  pendingEpoch = "";
  /** The highest offset seen in `pendingEpoch`, including ones dropped when `pending` overflowed. */
  pendingHead = 0;
  request: StreamRequest | null = null;
  /** The position handed to the app, as acknowledged after its handlers ran. */
  handed: StreamPosition | null = null;
  private readonly retired: string[] = [];

  constructor(readonly name: string) {}

  get hasGap(): boolean {
    return this.pendingEpoch === this.epoch && this.pendingHead > this.offset;
  }

  isRetired(epoch: string): boolean {
    return this.retired.includes(epoch);
  }

  retire(epoch: string): void {
    if (epoch.length === 0 || this.retired.includes(epoch)) return;
    if (this.retired.length === RETIRED_EPOCHS_KEPT) this.retired.shift();
    this.retired.push(epoch);
  }

  clearPending(): void {
    this.pending = [];
    this.pendingEpoch = "";
    this.pendingHead = 0;
  }

  /** Inserts in offset order; a duplicate offset keeps the first copy. */
  insert(notification: Notification): void {
    const list = this.pending;
    let low = 0;
    let high = list.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (list[mid]!.offset < notification.offset) low = mid + 1;
      else high = mid;
    }
    if (list[low]?.offset !== notification.offset) list.splice(low, 0, notification);
  }
}

/** What the tracker reports, in call order; each runs inside a tracker call, so it must only queue work. */
export interface TrackerCallbacks {
  /** The next notification of a stream, to hand to the app. */
  deliver(notification: Notification): void;
  /** A position jump without a delivery: a start, or (with a reason) notifications that cannot be recovered. */
  moved(stream: string, position: StreamPosition, reason: RecoveryFailureReason | null): void;
  /** Ask the service for what follows a position (a single-position Resume), answered through apply or abandon. */
  fetch(stream: string, request: number, from: StreamPosition): void;
}

/**
 * The client rules of docs/PROTOCOL.md §2 as a state machine without I/O or clocks — the same
 * machine as the .NET SDK's StreamTracker: per stream it hands each notification on exactly once,
 * in offset order, across live pushes that overtake each other, replays that overlap them,
 * reconnects and epoch changes.
 */
export class StreamTracker {
  private readonly streams = new Map<string, StreamState>();
  private readonly seeds = new Map<string, StreamPosition>();
  private lastRequest = 0;
  /** Requests up to this id were made on an earlier connection; answers to them are ignored. */
  private connectionStart = 0;

  /** The user id from the last Resume answer. */
  user: string | undefined;

  constructor(
    private readonly callbacks: TrackerCallbacks,
    seeds?: StreamPositions | null,
    private readonly pendingCapacity = DEFAULT_PENDING_CAPACITY,
  ) {
    for (const [stream, position] of Object.entries(seeds ?? {})) {
      if (stream && position && typeof position.epoch === "string" && position.epoch.length > 0
          && Number.isSafeInteger(position.offset) && position.offset >= 0) {
        this.seeds.set(stream, { offset: position.offset, epoch: position.epoch });
      }
    }
  }

  /** The user stream to resume: the known user's, else one from the saved positions or seen live, else none. */
  get userStream(): string | undefined {
    if (this.user !== undefined) return userStream(this.user);
    return [...this.seeds.keys(), ...this.streams.keys()].find(isUserStream);
  }

  /** The positions handed to the app, plus saved positions of streams not resumed yet. */
  get positions(): StreamPositions {
    const positions: StreamPositions = Object.fromEntries(this.seeds);
    for (const state of this.streams.values()) {
      if (state.handed && state.handed.epoch.length > 0) positions[state.name] = state.handed;
    }
    return positions;
  }

  /** A notification pushed live. */
  live(notification: Notification): void {
    if (notification.stream.length === 0) {
      this.callbacks.deliver(notification); // A service older than stream positions.
      return;
    }
    const state = this.tryGet(notification.stream, true);
    if (!state || state.isRetired(notification.epoch)) return; // Unsubscribed, or an epoch the stream has left.
    if (!state.ready) {
      this.buffer(state, notification); // Rule 1.
      return;
    }
    if (notification.epoch !== state.epoch) this.switchEpoch(state, notification.epoch); // Rule 5.
    if (notification.offset <= state.offset) return; // Rule 2.
    this.buffer(state, notification);
    this.drain(state); // Rule 3.
    if (state.request === null && state.hasGap) this.requestFetch(state); // Rule 4.
  }

  /** Starts a Subscribe/Resume request; add its streams with addToRequest. */
  beginRequest(): number {
    return ++this.lastRequest;
  }

  /** Records that a request asks about a stream; returns the position to send. */
  addToRequest(request: number, stream: string): StreamPosition {
    const state = this.getOrCreate(stream);
    const from = { offset: state.offset, epoch: state.epoch };
    state.request = { id: request, from, seenEpoch: state.pendingEpoch, seenHead: state.pendingHead };
    return from;
  }

  /** Whether the request is still the one the stream waits for. */
  isCurrent(request: number, stream: string): boolean {
    return this.streams.get(stream)?.request?.id === request;
  }

  /** The request failed without an answer; the next live notification retries a gap. */
  abandon(request: number, stream: string): void {
    const state = this.streams.get(stream);
    if (state?.request?.id === request) state.request = null;
  }

  /** One stream's answer to a request: a Resume recovery, or a Subscribe position (recovered, no notifications). */
  apply(request: number, stream: string, recovered: boolean, offset: number, epoch: string, notifications: readonly Notification[]): void {
    const current = request > this.connectionStart;
    const state = this.tryGet(stream, current);
    if (!state) return;
    const asked = state.request;
    if (asked) {
      if (asked.id !== request) return; // Answers an older request.
      state.request = null;
    } else if (state.ready || !current || !this.isImplicit(stream)) {
      return;
    }
    // Not asked about: the service answers for the user stream and broadcast regardless, from "no position".
    const from = asked?.from ?? { offset: 0, epoch: "" };

    let stale = false;
    if (from.epoch.length === 0) {
      this.moveTo(state, offset, epoch, null); // No position was sent: start at the service's.
    } else if (from.epoch !== state.epoch || (!recovered && from.offset !== state.offset)) {
      stale = true; // The stream moved on while this was in flight.
    } else if (recovered && epoch === state.epoch) {
      this.replay(state, notifications, offset);
    } else {
      const reason: RecoveryFailureReason = epoch !== from.epoch ? "epochChanged"
        : from.offset > offset ? "positionAhead"
        : "gapBeyondRetention";
      this.moveTo(state, offset, epoch, reason);
    }

    state.ready = true;
    this.drain(state);
    if (state.request !== null || !state.hasGap) return;
    // Ask again when there is news since the request; otherwise the service, asked after the far
    // side of the gap had arrived, did not fill it, and asking again would not either.
    if (stale || !asked || state.pendingEpoch !== asked.seenEpoch || state.pendingHead > asked.seenHead) {
      this.requestFetch(state);
    } else {
      this.skipGap(state);
    }
  }

  /** On a new connection, about to resume: every stream waits for its answer again. */
  newConnection(): void {
    this.connectionStart = this.lastRequest;
    for (const state of this.streams.values()) {
      state.ready = false;
      state.request = null;
    }
  }

  /** Records the user id a Resume answer reported; another user's stream is forgotten. */
  setUser(user: string): void {
    this.user = user;
    const own = userStream(user);
    for (const stream of [...this.streams.keys(), ...this.seeds.keys()]) {
      if (isUserStream(stream) && stream !== own) this.forget(stream);
    }
  }

  /** Drops everything about a stream (unsubscribed, or refused). */
  forget(stream: string): void {
    this.streams.delete(stream);
    this.seeds.delete(stream);
  }

  /** The app has been handed everything up to this position. */
  acknowledge(stream: string, position: StreamPosition): void {
    const state = this.streams.get(stream);
    if (state) state.handed = position;
  }

  // The rules themselves: how notifications are buffered, drained, and how the position moves.

  private replay(state: StreamState, notifications: readonly Notification[], head: number): void {
    for (const notification of notifications) {
      if (notification.offset === state.offset + 1) {
        state.offset = notification.offset;
        this.callbacks.deliver(notification);
      } else if (notification.offset > state.offset) {
        this.buffer(state, { ...notification, epoch: state.epoch });
      }
    }
    // The service says the stream reaches this far; if it did not send it all, that is a gap.
    if (state.pendingEpoch.length === 0 || state.pendingEpoch === state.epoch) {
      state.pendingEpoch = state.epoch;
      state.pendingHead = Math.max(state.pendingHead, head);
    }
  }

  private buffer(state: StreamState, notification: Notification): void {
    if (notification.epoch !== state.pendingEpoch) {
      // One epoch at a time. Epochs are never reused, so the later-seen one is the newer.
      state.clearPending();
      state.pendingEpoch = notification.epoch;
    }
    state.pendingHead = Math.max(state.pendingHead, notification.offset);
    state.insert(notification);
    if (state.pending.length > this.pendingCapacity) {
      state.pending.pop(); // Fetched later as a gap: pendingHead still covers it.
    }
  }

  private drain(state: StreamState): void {
    if (state.pendingEpoch.length > 0 && state.pendingEpoch !== state.epoch) {
      if (state.isRetired(state.pendingEpoch)) state.clearPending();
      else this.switchEpoch(state, state.pendingEpoch); // Seen while the answer was on its way: rule 5.
    }
    let taken = 0;
    while (taken < state.pending.length && state.pending[taken]!.offset <= state.offset + 1) {
      const next = state.pending[taken++]!;
      if (next.offset === state.offset + 1) {
        state.offset = next.offset;
        this.callbacks.deliver(next);
      }
    }
    if (taken > 0) state.pending.splice(0, taken);
  }

  /** The stream's history was lost: continue in the new epoch from 0; what precedes is a gap to fetch. */
  private switchEpoch(state: StreamState, epoch: string): void {
    this.moveTo(state, 0, epoch, state.epoch.length === 0 ? null : "epochChanged");
    state.request = null; // An answer about the old epoch no longer applies.
  }

  /** The service could not fill the gap: tell the app, and go on with what is buffered. */
  private skipGap(state: StreamState): void {
    const to = state.pending.length > 0 ? state.pending[0]!.offset - 1 : state.pendingHead;
    this.moveTo(state, to, state.epoch, "gapBeyondRetention");
    this.drain(state);
    if (state.hasGap) this.requestFetch(state); // A further gap: the skip was progress, so this cannot loop.
  }

  private moveTo(state: StreamState, offset: number, epoch: string, reason: RecoveryFailureReason | null): void {
    if (epoch !== state.epoch) state.retire(state.epoch);
    state.epoch = epoch;
    state.offset = offset;
    this.callbacks.moved(state.name, { offset, epoch }, reason);
  }

  private requestFetch(state: StreamState): void {
    const request = this.beginRequest();
    this.callbacks.fetch(state.name, request, this.addToRequest(request, state.name));
  }

  private tryGet(stream: string, adopt: boolean): StreamState | undefined {
    const state = this.streams.get(stream);
    if (state) return state;
    // The service sends the user stream and broadcast unasked; topics only after Subscribe/Resume.
    return adopt && this.isImplicit(stream) ? this.getOrCreate(stream) : undefined;
  }

  private isImplicit(stream: string): boolean {
    return stream === BROADCAST_STREAM
      || (isUserStream(stream) && (this.user === undefined || stream === userStream(this.user)));
  }

  private getOrCreate(stream: string): StreamState {
    let state = this.streams.get(stream);
    if (!state) {
      state = new StreamState(stream);
      const seed = this.seeds.get(stream);
      if (seed) {
        this.seeds.delete(stream);
        state.epoch = seed.epoch;
        state.offset = seed.offset;
        state.handed = seed;
      }
      this.streams.set(stream, state);
    }
    return state;
  }
}
