/**
 * Reads the `exp` claim (seconds since the epoch) of a JWT without verifying it, or returns
 * undefined for anything that is not a JWT with a numeric `exp`. Only used to reconnect with a
 * fresh token before the service closes the connection for an expired one.
 */
export function readJwtExpiry(token) {
    const payload = token?.split(".")[1];
    if (!payload)
        return undefined;
    try {
        const claims = JSON.parse(decodeBase64Url(payload));
        const exp = claims?.exp;
        return typeof exp === "number" && Number.isFinite(exp) ? exp : undefined;
    }
    catch {
        return undefined;
    }
}
/**
 * When to reconnect with a fresh token: a fifth of the remaining lifetime early, at most a
 * minute, at least a second from now. Undefined when the token carries no expiry or has expired
 * (the service then closes the connection itself, and the client reconnects with a new token).
 */
export function refreshDelay(expirySeconds, now) {
    if (expirySeconds === undefined)
        return undefined;
    const remaining = expirySeconds * 1000 - now;
    if (remaining <= 0)
        return undefined;
    return Math.max(1000, remaining - Math.min(60000, remaining / 5));
}
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
// Hand-written: atob and Buffer are not available on every runtime this package supports.
function decodeBase64Url(input) {
    const bytes = [];
    let buffer = 0;
    let bits = 0;
    for (const char of input.replace(/=+$/, "")) {
        const value = ALPHABET.indexOf(char === "+" ? "-" : char === "/" ? "_" : char);
        if (value < 0)
            throw new Error("Not base64url.");
        buffer = (buffer << 6) | value;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bytes.push((buffer >> bits) & 0xff);
        }
    }
    // UTF-8 through decodeURIComponent: TextDecoder is missing on some React Native engines.
    return decodeURIComponent(bytes.map((b) => "%" + b.toString(16).padStart(2, "0")).join(""));
}
