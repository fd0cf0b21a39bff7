// The demo app imports the SDK from src/PushService/wwwroot/lib, committed so that the service
// runs with only the .NET SDK. These prove the committed copy is what the sources build to today.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { modulesIn, sdkTarget, vendored, wwwroot } from "../../scripts/demo-copy.mjs";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const fresh = mkdtempSync(path.join(tmpdir(), "pushservice-client-build-"));
after(() => rmSync(fresh, { recursive: true, force: true }));
const FIX = "run `npm run demo-copy` in src/PushService.Client.TypeScript and commit the result";

test("the committed SDK modules in wwwroot equal a fresh build of the sources", () => {
  execFileSync(process.execPath, [path.join(packageDir, "node_modules/typescript/bin/tsc"), "-p", path.join(packageDir, "tsconfig.json"), "--outDir", fresh]);
  assert.deepEqual(modulesIn(sdkTarget), modulesIn(fresh), `the module list differs: ${FIX}`);
  for (const name of modulesIn(fresh)) {
    assert.equal(readFileSync(path.join(sdkTarget, name), "utf8"), readFileSync(path.join(fresh, name), "utf8"), `lib/pushservice-client/${name} is stale: ${FIX}`);
  }
});

test("the committed SignalR browser builds equal the pinned npm packages", () => {
  for (const [source, target] of vendored) {
    assert.ok(readFileSync(target).equals(readFileSync(source)), `${path.relative(wwwroot, target)} differs from ${path.relative(packageDir, source)}: ${FIX}`);
  }
});

test("the SignalR shim exports every name the SDK imports from @microsoft/signalr", () => {
  const shim = readFileSync(path.join(wwwroot, "lib/signalr/signalr.mjs"), "utf8");
  const exported = new Set(shim.match(/export const \{([^}]*)\}/)[1].split(",").map((name) => name.trim()).filter(Boolean));
  for (const name of modulesIn(sdkTarget)) {
    const source = readFileSync(path.join(sdkTarget, name), "utf8");
    for (const [, names] of source.matchAll(/import \{([^}]*)\} from "@microsoft\/signalr"/g)) {
      for (const imported of names.split(",").map((n) => n.trim()).filter(Boolean)) {
        assert.ok(exported.has(imported), `lib/signalr/signalr.mjs does not export '${imported}' (imported by ${name})`);
      }
    }
  }
});

test("the page's import map names the SDK and both shims", () => {
  const page = readFileSync(path.join(wwwroot, "index.html"), "utf8");
  const map = JSON.parse(page.match(/<script type="importmap">([\s\S]*?)<\/script>/)[1]).imports;
  assert.equal(map["@pushservice/client"], "./lib/pushservice-client/index.js");
  assert.equal(map["@microsoft/signalr"], "./lib/signalr/signalr.mjs");
  assert.equal(map["@microsoft/signalr-protocol-msgpack"], "./lib/signalr/signalr-protocol-msgpack.mjs");
});
