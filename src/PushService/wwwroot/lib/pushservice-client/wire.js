/** Hub method and target names (docs/PROTOCOL.md §2). */
export const HUB_PATH = "/hubs/notifications";
export const NOTIFICATION_TARGET = "notification";
export const Methods = { subscribe: "Subscribe", unsubscribe: "Unsubscribe", resume: "Resume", history: "History" };
/**
 * Maps a wire notification; one read from a stream's history (Resume, History) belongs to that
 * stream and epoch even if the service left the keys out of each item.
 */
export function toNotification(message, stream = "", epoch = "") {
    const notification = {
        id: message.id ?? "",
        type: message.type ?? "",
        data: message.data === undefined ? null : message.data,
        createdAt: message.createdAt instanceof Date ? message.createdAt : new Date(message.createdAt ?? 0),
        broadcast: message.broadcast === true,
        stream: message.stream || stream,
        offset: Number(message.offset ?? 0),
        epoch: message.epoch || epoch,
    };
    if (message.user != null)
        notification.user = message.user;
    if (message.topic != null)
        notification.topic = message.topic;
    return notification;
}
export function toNotifications(messages, stream, epoch) {
    return (messages ?? []).map((message) => toNotification(message, stream, epoch));
}
export function toHistoryPage(page, stream) {
    const epoch = page?.epoch ?? "";
    return {
        stream: page?.stream || stream,
        offset: Number(page?.offset ?? 0),
        epoch,
        notifications: toNotifications(page?.notifications, stream, epoch),
    };
}
