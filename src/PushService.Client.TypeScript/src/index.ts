export { PushClient, type NotificationHandler } from "./client.js";
export { defaultReconnectDelay, type PushClientOptions, type ReconnectContext } from "./options.js";
export { PushErrorCodes, PushHubError, PushSubscriptionError, parseHubError, type PushErrorCode } from "./errors.js";
export { localStoragePositions, memoryPositions } from "./storage.js";
export { readJwtExpiry } from "./token.js";
export type {
  ConnectionState, ConnectionStateEvent, HistoryPage, Notification, PositionStorage, RecoveryFailedEvent,
  RecoveryFailureReason, StreamPosition, StreamPositions, TransportName, Unsubscribe,
} from "./types.js";
