/** Stream names (docs/PROTOCOL.md §2): `user:{sub}`, `topic:{name}`, `broadcast`. */
export const BROADCAST_STREAM = "broadcast";
const USER_PREFIX = "user:";
const TOPIC_PREFIX = "topic:";
export const userStream = (user) => USER_PREFIX + user;
export const topicStream = (topic) => TOPIC_PREFIX + topic;
export const isUserStream = (stream) => stream.startsWith(USER_PREFIX);
/** The topic of a topic stream, or undefined for any other stream. */
export const topicOf = (stream) => stream.startsWith(TOPIC_PREFIX) ? stream.slice(TOPIC_PREFIX.length) : undefined;
