import type { HistoryPage, Notification, StreamPosition } from "./types.js";

/** Hub method and target names (docs/PROTOCOL.md §2). */
export const HUB_PATH = "/hubs/notifications";
export const NOTIFICATION_TARGET = "notification";
export const Methods = { subscribe: "Subscribe", unsubscribe: "Unsubscribe", resume: "Resume", history: "History" } as const;

/** A position as sent to the service. */
export interface WirePosition extends StreamPosition {
  readonly stream: string;
}

/** A notification as it comes over the wire: JSON (createdAt an ISO string) or MessagePack (a Date). */
export interface WireNotification {
  id?: string;
  type?: string;
  data?: unknown;
  createdAt?: string | Date;
  stream?: string;
  offset?: number;
  epoch?: string;
  user?: string | null;
  topic?: string | null;
  broadcast?: boolean | null;
}

export interface WireRecovery {
  stream?: string;
  recovered?: boolean;
  offset?: number;
  epoch?: string;
  notifications?: WireNotification[] | null;
  error?: string | null;
}

export interface WireResumeResult {
  user?: string;
  streams?: (WireRecovery | null)[] | null;
}

export interface WireHistoryPage {
  stream?: string;
  offset?: number;
  epoch?: string;
  notifications?: WireNotification[] | null;
}

/**
 * Maps a wire notification; one read from a stream's history (Resume, History) belongs to that
 * stream and epoch even if the service left the keys out of each item.
 */
export function toNotification(message: WireNotification, stream = "", epoch = ""): Notification {
  const notification: { -readonly [K in keyof Notification]: Notification[K] } = {
    id: message.id ?? "",
    type: message.type ?? "",
    data: message.data === undefined ? null : message.data,
    createdAt: message.createdAt instanceof Date ? message.createdAt : new Date(message.createdAt ?? 0),
    broadcast: message.broadcast === true,
    stream: message.stream || stream,
    offset: Number(message.offset ?? 0),
    epoch: message.epoch || epoch,
  };
  if (message.user != null) notification.user = message.user;
  if (message.topic != null) notification.topic = message.topic;
  return notification;
}

export function toNotifications(messages: readonly WireNotification[] | null | undefined, stream: string, epoch: string): Notification[] {
  return (messages ?? []).map((message) => toNotification(message, stream, epoch));
}

export function toHistoryPage(page: WireHistoryPage | null | undefined, stream: string): HistoryPage {
  const epoch = page?.epoch ?? "";
  return {
    stream: page?.stream || stream,
    offset: Number(page?.offset ?? 0),
    epoch,
    notifications: toNotifications(page?.notifications, stream, epoch),
  };
}
