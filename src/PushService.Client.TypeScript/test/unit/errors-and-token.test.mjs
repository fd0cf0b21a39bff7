// How the SDK reads hub errors and token expiry, without a service.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseHubError } from "../../dist/errors.js";
import { readJwtExpiry } from "../../dist/token.js";

test("hub error codes are read after 'HubException: ' or at the start", () => {
  assert.deepEqual(parseHubError("An unexpected error occurred invoking 'Subscribe' on the server. HubException: forbidden: Your token does not allow it."),
    { code: "forbidden", reason: "Your token does not allow it." });
  assert.equal(parseHubError("limit_exceeded: too many").code, "limit_exceeded");
  assert.equal(parseHubError("Invocation canceled due to the underlying connection being closed.").code, "unknown");
});

test("the JWT expiry is read from exp, and anything else is no expiry", () => {
  const payload = Buffer.from(JSON.stringify({ sub: "ünïcode", exp: 1_900_000_000 })).toString("base64url");
  assert.equal(readJwtExpiry(`h.${payload}.s`), 1_900_000_000);
  assert.equal(readJwtExpiry("opaque-token"), undefined);
  assert.equal(readJwtExpiry(`h.${Buffer.from("{}").toString("base64url")}.s`), undefined);
});
