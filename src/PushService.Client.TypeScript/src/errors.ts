/** The hub error codes of docs/PROTOCOL.md §2, plus `unknown` for an error without one. */
export const PushErrorCodes = {
  /** The name breaks the topic rules. Do not retry. */
  invalidTopic: "invalid_topic",
  /** Not a stream name, or a bad argument to History. Do not retry. */
  invalidStream: "invalid_stream",
  /** The token does not allow this topic or stream. Retry only with a token that does. */
  forbidden: "forbidden",
  /** Too many subscriptions on this connection. Retry after unsubscribing. */
  limitExceeded: "limit_exceeded",
  /** The stream store cannot be read right now. Retry after a short wait. */
  unavailable: "unavailable",
  /** The error carried no code. */
  unknown: "unknown",
} as const;

export type PushErrorCode = (typeof PushErrorCodes)[keyof typeof PushErrorCodes] | (string & {});

/** The service refused a hub call; `code` says whether and when to retry. */
export class PushHubError extends Error {
  override readonly name: string = "PushHubError";

  constructor(readonly code: PushErrorCode, message: string, options?: { cause?: unknown }) {
    super(message);
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** The service refused a topic: `subscribe()` rejects with it, and `onSubscriptionFailed` reports it for topics resubscribed on their own. */
export class PushSubscriptionError extends PushHubError {
  override readonly name: string = "PushSubscriptionError";

  constructor(readonly topic: string, code: PushErrorCode, reason: string, options?: { cause?: unknown }) {
    super(code, `The service refused the subscription to '${topic}' (${code}): ${reason}`, options);
  }
}

// SignalR servers wrap the service's "code: sentence" as
// "An unexpected error occurred invoking 'Subscribe' on the server. HubException: code: sentence".
const MARKER = "Exception: ";
const CODE = /^[a-z0-9_]{1,64}$/;

/** Reads the code of a hub error message: after `HubException: ` when present, else at the start. */
export function parseHubError(message: string | undefined): { code: PushErrorCode; reason: string } {
  const text0 = message ?? "";
  const marker = text0.indexOf(MARKER);
  const text = marker >= 0 ? text0.slice(marker + MARKER.length) : text0;
  const separator = text.indexOf(": ");
  if (separator > 0 && CODE.test(text.slice(0, separator))) {
    return { code: text.slice(0, separator), reason: text.slice(separator + 2) };
  }
  return { code: PushErrorCodes.unknown, reason: text0 };
}

export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
