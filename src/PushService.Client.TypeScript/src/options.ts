import type { HttpTransportType, IHttpConnectionOptions, IHubProtocol, ILogger, LogLevel } from "@microsoft/signalr";
import type { PositionStorage, StreamPositions, TransportName } from "./types.js";

/** What the reconnect policy is told before each attempt. */
export interface ReconnectContext {
  /** 0 for the first attempt after the connection was lost. */
  readonly attempt: number;
  /** Milliseconds since the connection was lost. */
  readonly elapsedMs: number;
  /** What ended the connection, or made the previous attempt fail. */
  readonly error?: Error;
}

/** Options of a {@link PushClient}. They are read once, by the constructor. */
export interface PushClientOptions {
  /**
   * The service's base URL, for example `https://push.example.com` (or `""`/`"/"` for the page's
   * own origin in a browser). The hub path `/hubs/notifications` is appended.
   */
  url: string;

  /**
   * Returns the JWT to connect with (its `sub` is the user id, its `topics` claim the topics it
   * may subscribe to). Called again before every connection: after any disconnect, and shortly
   * before the current token's `exp`, when the client reconnects on its own with a fresh token.
   */
  accessTokenFactory?: () => string | null | undefined | Promise<string | null | undefined>;

  /**
   * The transports to use, for example `"LongPolling"` or `["WebSockets", "ServerSentEvents"]`.
   * The default is all three, tried in the order WebSockets, Server-Sent Events, long polling.
   */
  transport?: TransportName | readonly TransportName[] | HttpTransportType;

  /**
   * The hub protocol: `"json"` (the default), `"messagepack"` (needs the optional package
   * `@microsoft/signalr-protocol-msgpack`, loaded on first start), or any SignalR `IHubProtocol`
   * instance, for example `new MessagePackHubProtocol()` where dynamic `import()` is unavailable.
   */
  protocol?: "json" | "messagepack" | IHubProtocol;

  /**
   * Positions to resume from, as saved from {@link PushClient.positions} by an earlier run. Used
   * when {@link storage} has none. The default is none: each stream starts at its current position.
   */
  positions?: StreamPositions;

  /**
   * Where positions are loaded from (by `start()`) and saved to (after notifications were handed
   * to the app, and by `stop()`), for example `localStoragePositions("push:alice")`.
   */
  storage?: PositionStorage;

  /**
   * The delay in milliseconds before each reconnect attempt, or `null` to give up (the client
   * then reports `disconnected`). The default retries forever: about 0–0.5 s, then 1, 2, 5 and
   * 10 s (±20 %), then every 10–30 s at random, so that the clients of a failed node do not all
   * come back at once.
   */
  reconnectDelay?: (context: ReconnectContext) => number | null;

  /** A SignalR logger, or the lowest level to write to the console. The default is `LogLevel.Warning`. */
  logger?: ILogger | LogLevel;

  /** Further SignalR connection options: `headers`, `withCredentials`, `timeout`, `httpClient`… */
  connectionOptions?: Omit<IHttpConnectionOptions, "transport" | "accessTokenFactory" | "logger">;
}

/** The default reconnect policy (the .NET SDK's): retries forever with capped, jittered backoff. */
export function defaultReconnectDelay({ attempt }: ReconnectContext): number {
  const backoff = [1000, 2000, 5000, 10_000];
  if (attempt === 0) return 500 * Math.random();
  if (attempt <= backoff.length) return backoff[attempt - 1]! * (0.8 + 0.4 * Math.random());
  return 10_000 + 20_000 * Math.random();
}
