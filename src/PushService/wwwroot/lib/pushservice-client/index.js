export { PushClient } from "./client.js";
export { defaultReconnectDelay } from "./options.js";
export { PushErrorCodes, PushHubError, PushSubscriptionError, parseHubError } from "./errors.js";
export { localStoragePositions, memoryPositions } from "./storage.js";
export { readJwtExpiry } from "./token.js";
