import { HttpTransportType, HubConnectionBuilder, HubConnectionState, LogLevel, type HubConnection, type IHubProtocol } from "@microsoft/signalr";
import { PushHubError, PushSubscriptionError, parseHubError, toError } from "./errors.js";
import { ClientLogger } from "./logging.js";
import { defaultReconnectDelay, type PushClientOptions, type ReconnectContext } from "./options.js";
import { BROADCAST_STREAM, topicOf, topicStream } from "./streams.js";
import { readJwtExpiry, refreshDelay } from "./token.js";
import { StreamTracker } from "./tracker.js";
import type {
  ConnectionState, ConnectionStateEvent, HistoryPage, Notification, PositionStorage, RecoveryFailedEvent,
  RecoveryFailureReason, StreamPosition, StreamPositions, TransportName, Unsubscribe,
} from "./types.js";
import {
  HUB_PATH, Methods, NOTIFICATION_TARGET, toHistoryPage, toNotification, toNotifications,
  type WireHistoryPage, type WireNotification, type WirePosition, type WireResumeResult,
} from "./wire.js";

/** A handler of notifications; a returned promise is awaited before the next notification. */
export type NotificationHandler<TData = unknown> = (notification: Notification<TData>) => void | Promise<void>;

type Listener<T> = (event: T) => void | Promise<void>;

/** Everything the app is told, in the order it was decided, handed on one at a time. */
type Delivery =
  | { kind: "notification"; notification: Notification }
  | { kind: "position"; stream: string; position: StreamPosition }
  | { kind: "recoveryFailed"; event: RecoveryFailedEvent }
  | { kind: "subscriptionFailed"; error: PushSubscriptionError }
  | { kind: "state"; event: ConnectionStateEvent };

const MAX_TIMER_MS = 2_147_483_647;

/**
 * Receives real-time notifications from PushService: the user's own, broadcasts, and those of
 * subscribed topics. It follows the client rules of docs/PROTOCOL.md — the same as the .NET SDK —
 * so each notification of a stream is handed to the app exactly once, in offset order, across
 * reconnects to any node; when missed notifications are gone for good, `onRecoveryFailed` says so.
 *
 * After `start()` the client stays connected until `stop()`: whenever the connection closes (a
 * network failure, a node going away, the service closing it because the token expired) it
 * reconnects with a fresh token from `accessTokenFactory` and resumes every stream. It also
 * reconnects on its own shortly before the token's `exp`.
 *
 * Handlers and listeners run one at a time, in order; an async one delays the next notification,
 * not the connection, and may call the client's methods.
 *
 * @typeParam TTypes Optional map from notification type to its `data` type, for typed `on()`.
 */
export class PushClient<TTypes extends Record<string, unknown> = Record<string, unknown>> {
  private readonly options: PushClientOptions;
  private readonly logger: ClientLogger;
  private readonly topicSet = new Set<string>();
  private readonly reconnectDelay: (context: ReconnectContext) => number | null;
  private tracker: StreamTracker;
  private hub: HubConnection | undefined;
  private loaded = false;

  private typeHandlers = new Map<string, NotificationHandler<unknown>[]>();
  private anyHandlers: NotificationHandler<unknown>[] = [];
  private stateListeners: Listener<ConnectionStateEvent>[] = [];
  private recoveryListeners: Listener<RecoveryFailedEvent>[] = [];
  private subscriptionListeners: Listener<PushSubscriptionError>[] = [];

  private readonly queue: Delivery[] = [];
  private draining = false;
  /** One hub call that changes the connection's topics at a time (Subscribe, Unsubscribe, Resume, gap fills). */
  private lock: Promise<unknown> = Promise.resolve();

  private currentState: ConnectionState = "disconnected";
  private currentTransport: TransportName | undefined;
  /** True between start() and stop(): the client keeps (re)connecting. */
  private running = false;
  /** Bumped by start() and stop(), so that a stale reconnect loop or timer stops. */
  private generation = 0;
  /** True while a close of the hub connection is expected (connecting, stopping, refreshing the token). */
  private ignoreClose = true;
  private lastToken: string | null | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** Pending waits (reconnect and gap-fill delays), ended early by stop(). */
  private readonly sleepers = new Set<() => void>();

  /** Creates a client. Does no I/O; call `start()`. */
  constructor(options: PushClientOptions) {
    if (!options || typeof options.url !== "string") throw new TypeError("PushClientOptions.url is required.");
    this.options = { ...options };
    this.logger = new ClientLogger(options.logger);
    this.reconnectDelay = options.reconnectDelay ?? defaultReconnectDelay;
    this.tracker = this.createTracker(options.positions);
  }

  /** The connection's state; `connected` once resumed. */
  get state(): ConnectionState {
    return this.currentState;
  }

  /** The transport of the current connection, or undefined when not connected. */
  get transport(): TransportName | undefined {
    return this.currentTransport;
  }

  /** The SignalR connection id, or undefined when not connected. */
  get connectionId(): string | undefined {
    return this.hub?.connectionId ?? undefined;
  }

  /** The user id the service knows the client as (the token's `sub`), learned on the first resume. */
  get userId(): string | undefined {
    return this.tracker.user;
  }

  /** The topics the client is subscribed to, or will subscribe to when connected. */
  get topics(): readonly string[] {
    return [...this.topicSet];
  }

  /**
   * The position in each stream: the last notification handed to the app. Save it (or use
   * `storage`) and pass it as `positions` on the next run to get what was published in between.
   */
  get positions(): StreamPositions {
    return this.tracker.positions;
  }

  /**
   * Connects and resumes: subscribes to the recorded topics and recovers what every stream with a
   * position missed. Rejects (and the client is disconnected) when the first connection fails;
   * after that, every lost connection is re-established automatically until `stop()`.
   */
  async start(): Promise<void> {
    if (this.running) throw new Error("The PushClient is already started; call stop() first.");
    this.running = true;
    const generation = ++this.generation;
    this.setState("connecting");
    try {
      await this.prepare();
      if (generation !== this.generation) throw new Error("The PushClient was stopped while starting.");
      await this.connectOnce();
    } catch (error) {
      if (generation === this.generation) {
        this.running = false;
        this.setState("disconnected", { error: toError(error) });
      }
      throw error;
    }
  }

  /** Closes the connection. Handlers, topics and positions are kept: `start()` resumes where the client left off. */
  async stop(): Promise<void> {
    this.running = false;
    this.generation++;
    this.ignoreClose = true;
    this.clearRefreshTimer();
    for (const wake of [...this.sleepers]) wake();
    await this.hub?.stop();
    this.currentTransport = undefined;
    if (this.currentState !== "disconnected") this.setState("disconnected");
    await this.savePositions();
  }

  /**
   * Subscribes to a topic; the client subscribes again after every reconnect, resuming where the
   * app left off. When connected, resolves once the service confirmed it: everything published to
   * the topic after that is delivered. When not connected the topic is recorded and subscribed on
   * the next connection (a refusal then goes to `onSubscriptionFailed`).
   * @throws PushSubscriptionError The service refused the topic (`code`: `forbidden`, `invalid_topic`, `limit_exceeded`, `unavailable`).
   */
  subscribe(topic: string): Promise<void> {
    if (!topic) return Promise.reject(new TypeError("A topic name is required."));
    return this.exclusive(async () => {
      const added = !this.topicSet.has(topic);
      this.topicSet.add(topic);
      const hub = this.hub;
      if (!hub || hub.state !== HubConnectionState.Connected) return;
      const stream = topicStream(topic);
      // Registered before the call, so that live notifications ahead of the answer are buffered (rule 1).
      const request = this.tracker.beginRequest();
      const from = this.tracker.addToRequest(request, stream);
      let refusal: string | undefined;
      try {
        refusal = await this.subscribeStream(hub, topic, stream, request, from);
      } catch (error) {
        if (hub.state !== HubConnectionState.Connected) {
          return; // The connection dropped: the topic stays recorded for the next connection.
        }
        this.undoSubscribe(topic, stream, request, added);
        const { code, reason } = parseHubError(toError(error).message);
        throw new PushSubscriptionError(topic, code, reason, { cause: error });
      }
      if (refusal !== undefined) {
        this.undoSubscribe(topic, stream, request, added);
        throw new PushSubscriptionError(topic, refusal, "refused on resume");
      }
    });
  }

  /** Unsubscribes from a topic and forgets its position. Succeeds for a topic not subscribed to. */
  unsubscribe(topic: string): Promise<void> {
    if (!topic) return Promise.reject(new TypeError("A topic name is required."));
    return this.exclusive(async () => {
      this.topicSet.delete(topic);
      const hub = this.hub;
      try {
        if (hub && hub.state === HubConnectionState.Connected) {
          await hub.invoke(Methods.unsubscribe, topic);
        }
      } catch (error) {
        if (hub && hub.state === HubConnectionState.Connected) {
          const { code, reason } = parseHubError(toError(error).message);
          throw new PushSubscriptionError(topic, code, reason, { cause: error });
        }
      } finally {
        // After the service's answer: until then the topic's notifications are still delivered.
        this.tracker.forget(topicStream(topic));
      }
    });
  }

  /**
   * Registers a handler for one notification type (matched exactly). Type handlers run before
   * `onAny` handlers. Returns a function that removes it.
   */
  on<K extends keyof TTypes & string>(type: K, handler: NotificationHandler<TTypes[K]>): Unsubscribe;
  on<TData = unknown>(type: string, handler: NotificationHandler<TData>): Unsubscribe;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the overloads above are the typed surface.
  on(type: string, handler: NotificationHandler<any>): Unsubscribe {
    if (!type) throw new TypeError("A notification type is required.");
    const next = new Map(this.typeHandlers);
    next.set(type, [...(next.get(type) ?? []), handler]);
    this.typeHandlers = next;
    return once(() => {
      const remaining = without(this.typeHandlers.get(type) ?? [], handler);
      const map = new Map(this.typeHandlers);
      if (remaining.length === 0) map.delete(type);
      else map.set(type, remaining);
      this.typeHandlers = map;
    });
  }

  /** Registers a handler for notifications of every type; it runs after the type's own handlers. */
  onAny(handler: NotificationHandler<unknown>): Unsubscribe {
    this.anyHandlers = [...this.anyHandlers, handler];
    return once(() => (this.anyHandlers = without(this.anyHandlers, handler)));
  }

  /** Listens to connection state changes (connecting, connected, reconnecting, disconnected), with the transport in use. */
  onStateChange(listener: Listener<ConnectionStateEvent>): Unsubscribe {
    this.stateListeners = [...this.stateListeners, listener];
    return once(() => (this.stateListeners = without(this.stateListeners, listener)));
  }

  /**
   * Listens for streams whose missed notifications are gone (the service answered
   * `recovered: false`, or the stream's epoch changed). Raised before the notifications that follow
   * `event.position`, with `positions` already there.
   */
  onRecoveryFailed(listener: Listener<RecoveryFailedEvent>): Unsubscribe {
    this.recoveryListeners = [...this.recoveryListeners, listener];
    return once(() => (this.recoveryListeners = without(this.recoveryListeners, listener)));
  }

  /** Listens for topics the service refused when the client subscribed on its own (after a reconnect, or recorded before start). */
  onSubscriptionFailed(listener: Listener<PushSubscriptionError>): Unsubscribe {
    this.subscriptionListeners = [...this.subscriptionListeners, listener];
    return once(() => (this.subscriptionListeners = without(this.subscriptionListeners, listener)));
  }

  /**
   * Reads a page of a stream's stored notifications, newest first (for an inbox view). Does not
   * deliver them to handlers or move positions.
   * @param stream `user:{id}` (see `userId`), `topic:{name}` or `broadcast`.
   */
  async history(stream: string, options: { before?: number; limit?: number } = {}): Promise<HistoryPage> {
    const limit = options.limit ?? 50;
    if (!stream) throw new TypeError("A stream name is required.");
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new RangeError("limit must be 1 to 100.");
    const hub = this.hub;
    if (!hub || hub.state !== HubConnectionState.Connected) throw new Error("history() needs a connection: call start() first.");
    try {
      return toHistoryPage(await hub.invoke<WireHistoryPage | null>(Methods.history, stream, options.before ?? null, limit), stream);
    } catch (error) {
      throw this.hubError(Methods.history, error);
    }
  }

  // Connecting.

  private async prepare(): Promise<void> {
    if (!this.loaded && this.options.storage) {
      const saved = await this.options.storage.load();
      if (saved && Object.keys(saved).length > 0) this.tracker = this.createTracker(saved);
    }
    this.loaded = true;
    this.hub ??= await this.buildHub();
  }

  private async buildHub(): Promise<HubConnection> {
    const factory = this.options.accessTokenFactory;
    const builder = new HubConnectionBuilder()
      .withUrl(this.options.url.replace(/\/+$/, "") + HUB_PATH, {
        ...this.options.connectionOptions,
        transport: toTransportType(this.options.transport),
        logger: this.logger,
        // Remembered so that the client can reconnect before the token's exp.
        accessTokenFactory: factory && (async () => (this.lastToken = await factory()) ?? ""),
      })
      .configureLogging(this.logger);
    const protocol = await resolveProtocol(this.options.protocol);
    if (protocol) builder.withHubProtocol(protocol);
    const hub = builder.build();
    hub.on(NOTIFICATION_TARGET, (message: WireNotification) => this.tracker.live(toNotification(message)));
    hub.onclose((error) => this.onClosed(error));
    return hub;
  }

  /** One connection attempt: start, then resume every stream. Throws, with the hub stopped, when either fails. */
  private async connectOnce(): Promise<void> {
    const hub = this.hub!;
    this.ignoreClose = true;
    this.logger.selectedTransport = undefined;
    try {
      await hub.start();
      const resumed = await this.exclusive(() => this.resume(hub));
      if (!resumed) throw new Error("The connection closed while the client resumed its streams.");
      if (!this.running) throw new Error("The PushClient was stopped while connecting.");
      // Closed after the answer but before this point: no further onclose will come for it.
      if (hub.state !== HubConnectionState.Connected) throw new Error("The connection closed while the client resumed its streams.");
    } catch (error) {
      if (hub.state !== HubConnectionState.Disconnected) await hub.stop().catch(() => undefined);
      throw error;
    }
    this.ignoreClose = false;
    this.currentTransport = this.logger.selectedTransport;
    this.scheduleTokenRefresh();
    const state: { transport?: TransportName; connectionId?: string } = {};
    if (this.currentTransport) state.transport = this.currentTransport;
    if (hub.connectionId) state.connectionId = hub.connectionId;
    this.setState("connected", state);
  }

  private onClosed(error: Error | undefined): void {
    this.clearRefreshTimer();
    if (this.ignoreClose || !this.running) return;
    this.ignoreClose = true;
    this.currentTransport = undefined;
    void this.reconnect(error, false);
  }

  /** Reconnects until connected, stopped, or the policy gives up. Any close ends up here. */
  private async reconnect(error: Error | undefined, immediately: boolean): Promise<void> {
    const generation = this.generation;
    const lostAt = Date.now();
    this.setState("reconnecting", error ? { error } : {});
    for (let attempt = 0; ; attempt++) {
      const context: ReconnectContext = error ? { attempt, elapsedMs: Date.now() - lostAt, error } : { attempt, elapsedMs: Date.now() - lostAt };
      const delay = immediately && attempt === 0 ? 0 : this.reconnectDelay(context);
      if (delay === null) {
        if (generation === this.generation) {
          this.running = false;
          this.setState("disconnected", error ? { error } : {});
        }
        return;
      }
      await this.sleep(delay);
      if (generation !== this.generation) return;
      try {
        await this.connectOnce();
        return;
      } catch (failure) {
        if (generation !== this.generation) return;
        error = toError(failure);
        this.logger.log(LogLevel.Information, `Reconnect attempt ${attempt + 1} failed: ${error.message}`);
      }
    }
  }

  private scheduleTokenRefresh(): void {
    this.clearRefreshTimer();
    const delay = refreshDelay(readJwtExpiry(this.lastToken), Date.now());
    if (delay === undefined) return;
    const generation = this.generation;
    const timer = delay > MAX_TIMER_MS
      ? setTimeout(() => this.scheduleTokenRefresh(), MAX_TIMER_MS)
      : setTimeout(() => void this.refreshToken(generation), delay);
    (timer as { unref?: () => void }).unref?.();
    this.refreshTimer = timer;
  }

  /** Reconnects with a fresh token before the service closes the connection for an expired one. */
  private async refreshToken(generation: number): Promise<void> {
    const hub = this.hub;
    if (generation !== this.generation || !hub || hub.state !== HubConnectionState.Connected || this.ignoreClose) return;
    this.logger.log(LogLevel.Information, "The access token expires soon: reconnecting with a fresh one.");
    this.ignoreClose = true;
    await hub.stop().catch(() => undefined);
    if (generation === this.generation) void this.reconnect(undefined, true);
  }

  private clearRefreshTimer(): void {
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  // Resuming (rule 6), subscribing and gap fills (rule 4).

  /** One Resume with every position, answers applied. False when the connection went away meanwhile. */
  private async resume(hub: HubConnection): Promise<boolean> {
    if (hub.state !== HubConnectionState.Connected) return false;
    const tracker = this.tracker;
    tracker.newConnection();
    const request = tracker.beginRequest();
    const positions: WirePosition[] = [];
    const add = (stream: string) => positions.push({ stream, ...tracker.addToRequest(request, stream) });
    const own = tracker.userStream;
    if (own) add(own);
    add(BROADCAST_STREAM);
    for (const topic of this.topicSet) add(topicStream(topic));

    let result: WireResumeResult;
    try {
      result = await hub.invoke<WireResumeResult>(Methods.resume, positions);
    } catch (error) {
      if (hub.state !== HubConnectionState.Connected) return false;
      throw this.hubError(Methods.resume, error);
    }
    for (const { stream, code } of this.applyResume(request, result, positions)) {
      const topic = topicOf(stream);
      if (topic === undefined) {
        this.logger.log(LogLevel.Warning, `The service refused stream '${stream}' on resume (${code}).`);
        continue;
      }
      this.topicSet.delete(topic);
      tracker.forget(stream);
      this.enqueue({ kind: "subscriptionFailed", error: new PushSubscriptionError(topic, code, "refused on resume") });
    }
    return true;
  }

  /** Subscribes the connection to a topic's stream; returns the refusal code of a Resume, if any. */
  private async subscribeStream(hub: HubConnection, topic: string, stream: string, request: number, from: StreamPosition): Promise<string | undefined> {
    if (from.epoch.length === 0) {
      // No position: start at the stream's current one; everything after it is delivered.
      const position = await hub.invoke<Partial<StreamPosition> | null>(Methods.subscribe, topic);
      this.tracker.apply(request, stream, true, Number(position?.offset ?? 0), position?.epoch ?? "", []);
      return undefined;
    }
    // A position is known: Resume joins the topic as Subscribe does and recovers what followed it.
    const sent: WirePosition = { stream, ...from };
    const result = await hub.invoke<WireResumeResult>(Methods.resume, [sent]);
    return this.applyResume(request, result, [sent]).find((refused) => refused.stream === stream)?.code;
  }

  private undoSubscribe(topic: string, stream: string, request: number, added: boolean): void {
    if (added) {
      this.topicSet.delete(topic);
      this.tracker.forget(stream);
    } else {
      this.tracker.abandon(request, stream);
    }
  }

  /** Fills a gap with a single-position Resume, retried while this connection lasts. */
  private async fetchGap(stream: string, request: number, from: StreamPosition): Promise<void> {
    const hub = this.hub;
    for (let attempt = 0; hub && hub.state === HubConnectionState.Connected; attempt++) {
      if (!this.tracker.isCurrent(request, stream)) return; // Superseded: a reconnect, an epoch change, an unsubscribe.
      try {
        await this.exclusive(async () => {
          if (!this.tracker.isCurrent(request, stream)) return;
          const sent: WirePosition = { stream, ...from };
          const result = await hub.invoke<WireResumeResult>(Methods.resume, [sent]);
          for (const refused of this.applyResume(request, result, [sent])) {
            this.logger.log(LogLevel.Warning, `The service refused stream '${refused.stream}' (${refused.code}).`);
          }
        });
        return;
      } catch (error) {
        this.logger.log(LogLevel.Warning, `Filling a gap in '${stream}' failed: ${toError(error).message}`);
      }
      await this.sleep(Math.min(30_000, 250 * 2 ** Math.min(attempt, 7)) * (0.8 + 0.4 * Math.random()));
    }
    this.tracker.abandon(request, stream); // The next connection's Resume covers the gap.
  }

  /** Applies a Resume answer; refused streams are abandoned and returned for the caller to judge. */
  private applyResume(request: number, result: WireResumeResult | null | undefined, sent: readonly WirePosition[]): { stream: string; code: string }[] {
    const refused: { stream: string; code: string }[] = [];
    const tracker = this.tracker;
    if (result?.user) tracker.setUser(result.user);
    for (const entry of result?.streams ?? []) {
      const stream = entry?.stream;
      if (!entry || !stream) continue;
      if (entry.error) {
        tracker.abandon(request, stream);
        refused.push({ stream, code: entry.error });
        continue;
      }
      const epoch = entry.epoch ?? "";
      tracker.apply(request, stream, entry.recovered === true, Number(entry.offset ?? 0), epoch, toNotifications(entry.notifications, stream, epoch));
    }
    // Asked about but not answered: it waits (buffering, bounded) until the next connection asks again.
    for (const position of sent) {
      if (tracker.isCurrent(request, position.stream)) tracker.abandon(request, position.stream);
    }
    return refused;
  }

  private hubError(method: string, error: unknown): PushHubError {
    const { code, reason } = parseHubError(toError(error).message);
    return new PushHubError(code, `The service refused ${method} (${code}): ${reason}`, { cause: error });
  }

  /** Runs hub calls that change the connection's topics one at a time. */
  private exclusive<T>(action: () => Promise<T>): Promise<T> {
    const result = this.lock.then(action);
    this.lock = result.catch(() => undefined);
    return result;
  }

  // Delivery: one queue, handed on in order by one loop.

  private createTracker(seeds: StreamPositions | null | undefined): StreamTracker {
    return new StreamTracker({
      deliver: (notification) => this.enqueue({ kind: "notification", notification }),
      moved: (stream, position, reason) => this.enqueue(reason === null
        ? { kind: "position", stream, position }
        : { kind: "recoveryFailed", event: { stream, reason: reason as RecoveryFailureReason, position } }),
      // Off the receive path: the tracker is in the middle of a call.
      fetch: (stream, request, from) => void Promise.resolve().then(() => this.fetchGap(stream, request, from)),
    }, seeds);
  }

  private setState(state: ConnectionState, details: Omit<ConnectionStateEvent, "state"> = {}): void {
    this.currentState = state;
    this.enqueue({ kind: "state", event: { state, ...details } });
  }

  private enqueue(delivery: Delivery): void {
    this.queue.push(delivery);
    if (!this.draining) {
      this.draining = true;
      // A microtask later: the tracker call that enqueued this must finish before a handler runs.
      queueMicrotask(() => void this.drain());
    }
  }

  private async drain(): Promise<void> {
    try {
      for (let delivery = this.queue.shift(); delivery; delivery = this.queue.shift()) {
        await this.deliver(delivery);
      }
    } finally {
      this.draining = false;
    }
    await this.savePositions();
  }

  private async deliver(delivery: Delivery): Promise<void> {
    switch (delivery.kind) {
      case "notification": {
        const { notification } = delivery;
        for (const handler of this.typeHandlers.get(notification.type) ?? []) await this.run(handler, notification, "handler");
        for (const handler of this.anyHandlers) await this.run(handler, notification, "handler");
        if (notification.stream) this.tracker.acknowledge(notification.stream, { offset: notification.offset, epoch: notification.epoch });
        break;
      }
      case "position":
        this.tracker.acknowledge(delivery.stream, delivery.position);
        break;
      case "recoveryFailed":
        // Acknowledged first, so that a listener that reloads and then saves positions saves the new one.
        this.tracker.acknowledge(delivery.event.stream, delivery.event.position);
        this.logger.log(LogLevel.Warning, `Notifications of '${delivery.event.stream}' could not be recovered (${delivery.event.reason}); continuing from offset ${delivery.event.position.offset}.`);
        for (const listener of this.recoveryListeners) await this.run(listener, delivery.event, "onRecoveryFailed listener");
        break;
      case "subscriptionFailed":
        this.logger.log(LogLevel.Warning, delivery.error.message);
        for (const listener of this.subscriptionListeners) await this.run(listener, delivery.error, "onSubscriptionFailed listener");
        break;
      case "state":
        for (const listener of this.stateListeners) await this.run(listener, delivery.event, "onStateChange listener");
        break;
    }
  }

  private async run<T>(handler: Listener<T>, argument: T, what: string): Promise<void> {
    try {
      await handler(argument);
    } catch (error) {
      // One failing handler must not affect the others, the order, or the connection.
      this.logger.log(LogLevel.Error, `A ${what} threw: ${toError(error).message}`);
    }
  }

  private async savePositions(): Promise<void> {
    const storage: PositionStorage | undefined = this.options.storage;
    if (!storage || !this.loaded) return;
    try {
      await storage.save(this.tracker.positions);
    } catch (error) {
      this.logger.log(LogLevel.Warning, `Saving positions failed: ${toError(error).message}`);
    }
  }
}

function toTransportType(transport: PushClientOptions["transport"]): HttpTransportType | undefined {
  if (transport === undefined || typeof transport === "number") return transport;
  const names = typeof transport === "string" ? [transport] : transport;
  let flags = 0;
  for (const name of names) {
    const flag = HttpTransportType[name as keyof typeof HttpTransportType];
    if (typeof flag !== "number" || flag === HttpTransportType.None) throw new TypeError(`Unknown transport '${name}'.`);
    flags |= flag;
  }
  return flags as HttpTransportType;
}

async function resolveProtocol(protocol: PushClientOptions["protocol"]): Promise<IHubProtocol | undefined> {
  if (protocol === undefined || protocol === "json") return undefined;
  if (protocol === "messagepack") {
    const { MessagePackHubProtocol } = await import("@microsoft/signalr-protocol-msgpack");
    return new MessagePackHubProtocol();
  }
  return protocol;
}

function once(action: () => void): Unsubscribe {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      action();
    }
  };
}

/** Removes one registration, by reference: the same function registered twice is two registrations. */
function without<T>(items: readonly T[], item: T): T[] {
  const index = items.indexOf(item);
  return index < 0 ? [...items] : [...items.slice(0, index), ...items.slice(index + 1)];
}
