// The demo app (src/PushService/wwwroot) runs the SDK without node or a bundler, so the compiled
// SDK and the official SignalR browser builds are committed there. This script writes that copy
// (`node scripts/demo-copy.mjs`, after `npm run build`); test/unit/demo-copy.test.mjs proves the
// committed copy equals a fresh build.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const wwwroot = path.resolve(packageDir, "../PushService/wwwroot");
export const sdkTarget = path.join(wwwroot, "lib/pushservice-client");

/** Vendored files: [source in node_modules, target in wwwroot]. */
export const vendored = [
  ["node_modules/@microsoft/signalr/dist/browser/signalr.min.js", "lib/signalr/signalr.min.js"],
  ["node_modules/@microsoft/signalr-protocol-msgpack/dist/browser/signalr-protocol-msgpack.min.js", "lib/signalr/signalr-protocol-msgpack.min.js"],
  ["node_modules/@msgpack/msgpack/LICENSE", "lib/signalr/msgpack-LICENSE.txt"],
].map(([source, target]) => [path.join(packageDir, source), path.join(wwwroot, target)]);

/** The compiled SDK modules in a build output folder (declarations are not needed by the browser). */
export const modulesIn = (dir) => readdirSync(dir).filter((name) => name.endsWith(".js")).sort();

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = path.join(packageDir, "dist");
  rmSync(sdkTarget, { recursive: true, force: true });
  mkdirSync(sdkTarget, { recursive: true });
  for (const name of modulesIn(dist)) copyFileSync(path.join(dist, name), path.join(sdkTarget, name));
  for (const [source, target] of vendored) copyFileSync(source, target);
  console.log(`demo copy written to ${path.relative(process.cwd(), wwwroot)}`);
}
