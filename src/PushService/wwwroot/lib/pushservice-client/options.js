/** The default reconnect policy (the .NET SDK's): retries forever with capped, jittered backoff. */
export function defaultReconnectDelay({ attempt }) {
    const backoff = [1000, 2000, 5000, 10000];
    if (attempt === 0)
        return 500 * Math.random();
    if (attempt <= backoff.length)
        return backoff[attempt - 1] * (0.8 + 0.4 * Math.random());
    return 10000 + 20000 * Math.random();
}
