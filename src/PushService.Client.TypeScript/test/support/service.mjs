// Real processes for the SDK's tests: PushService nodes (`dotnet PushService.dll` from the
// solution's build output), redis-server, nginx, and a TCP proxy that can cut connections.
// Every process started here is stopped by its own PID; nothing is killed by name.
import { spawn } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const API_KEY = "sdk-test-publisher-key-0123456789";
export const SIGNING_KEY = "sdk-test-signing-key-0123456789-0123456789-abcdef";
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const SERVICE_DLL = process.env.PUSH_SERVICE_DLL ?? path.join(REPO, "src/PushService/bin/Debug/net10.0/PushService.dll");
const START_TIMEOUT_MS = 30_000;

/** Waits for a promise, failing with a message that says what was awaited. */
export function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}.`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls a condition (capped), for state that has no event to await. */
export async function eventually(condition, what, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A subscriber token (HS256, the nodes' signing key): `sub` is the user, `topics` the allowed topic patterns. */
export function token(user, { topics = [], expiresInSeconds = 3600 } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const body = `${encode({ alg: "HS256", typ: "JWT" })}.${encode({ sub: user, topics, iat: now, nbf: now - 1, exp: now + expiresInSeconds })}`;
  return `${body}.${createHmac("sha256", SIGNING_KEY).update(body).digest("base64url")}`;
}

export const uniqueName = (prefix) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Publishes over REST with the API key; returns the accepted id. */
export async function publish(baseUrl, body) {
  const response = await fetch(new URL("/api/v1/notifications", baseUrl), {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Api-Key": API_KEY },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 202) throw new Error(`Publish answered ${response.status}: ${text}`);
  return JSON.parse(text).id;
}

/** A child process whose output is kept, and that is stopped by its PID. */
class Child {
  constructor(name, command, args, options) {
    this.name = name;
    this.lines = [];
    this.process = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => this.process.once("exit", (code, signal) => resolve({ code, signal })));
    const collect = (stream) => {
      let rest = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk) => {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop();
        for (const line of parts) {
          this.lines.push(line);
          if (process.env.PUSH_TEST_LOGS === "1") console.log(`[${this.name}] ${line}`);
          this.onLine?.(line);
        }
      });
    };
    collect(this.process.stdout);
    collect(this.process.stderr);
  }

  get pid() {
    return this.process.pid;
  }

  get running() {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  waitForLine(fragment, ms) {
    if (this.lines.some((line) => line.includes(fragment))) return Promise.resolve();
    return within(new Promise((resolve, reject) => {
      this.onLine = (line) => line.includes(fragment) && resolve();
      this.exited.then(() => reject(new Error(`${this.name} exited.\n${this.tail()}`)));
    }), ms, `${this.name} to log '${fragment}'\n${this.tail()}`);
  }

  tail(count = 30) {
    return `--- ${this.name} (pid ${this.pid}), last lines ---\n${this.lines.slice(-count).join("\n")}`;
  }

  /** Sends a signal to this process only; resolves once it exited. */
  async kill(signal = "SIGKILL") {
    if (this.running) process.kill(this.pid, signal);
    await within(this.exited, 15_000, `${this.name} to exit`);
  }
}

export async function startRedis() {
  const port = await freePort();
  const redis = new Child(`redis:${port}`, "redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {});
  await redis.waitForLine("Ready to accept connections", START_TIMEOUT_MS);
  redis.connectionString = `127.0.0.1:${port},abortConnect=false,connectTimeout=2000`;
  return redis;
}

/**
 * Starts a node on a free loopback port, configured only through environment variables, and
 * resolves once it logged its start-up line.
 */
export async function startNode({ nodeId = uniqueName("node"), redis, settings = {}, environment = "Production", port } = {}) {
  if (!existsSync(SERVICE_DLL)) throw new Error(`${SERVICE_DLL} is missing: build the solution first (dotnet build PushService.sln), as test.sh does.`);
  port ??= await freePort();
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) =>
    !/^(Push__|Push:|ASPNETCORE_|Logging__|DOTNET_ENVIRONMENT$|DOTNET_URLS$)/i.test(key)));
  Object.assign(env, {
    ASPNETCORE_ENVIRONMENT: environment,
    ASPNETCORE_URLS: `http://127.0.0.1:${port}`,
    Logging__Console__FormatterName: "simple",
    Logging__Console__FormatterOptions__SingleLine: "true",
    Logging__Console__FormatterOptions__ColorBehavior: "Disabled",
    Push__NodeId: nodeId,
    Push__ApiKeys__0__Name: "sdk-tests",
    Push__ApiKeys__0__Key: API_KEY,
    Push__Jwt__SigningKey: SIGNING_KEY,
    Push__Redis: redis?.connectionString ?? "",
    Push__RedisPrefix: uniqueName("sdk"),
  });
  for (const [key, value] of Object.entries(settings)) env[key.replaceAll(":", "__")] = value;
  const node = new Child(nodeId, "dotnet", [SERVICE_DLL], { cwd: path.dirname(SERVICE_DLL), env });
  node.port = port;
  node.url = `http://127.0.0.1:${port}`;
  node.settings = settings;
  await node.waitForLine(`PushService node ${nodeId} started with the `, START_TIMEOUT_MS);
  return node;
}

/**
 * A TCP proxy in front of a node: `cut()` drops every connection through it and refuses new
 * ones until `restore()` — a network failure the client cannot tell from a real one. `hold()`
 * keeps what clients send from reaching the node (in order, until `release()`), while the node's
 * messages still reach the clients: a slow uplink, to make a call's answer come late.
 */
export async function startProxy(target) {
  const sockets = new Set();
  let refusing = false;
  let holding = false;
  const held = [];
  let connections = 0;
  let targetPort = target.port;
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    connections++;
    const upstream = net.connect(targetPort, "127.0.0.1");
    for (const [a, b] of [[client, upstream], [upstream, client]]) {
      sockets.add(a);
      a.on("error", () => b.destroy());
      a.on("close", () => {
        sockets.delete(a);
        b.destroy();
      });
    }
    client.on("data", (chunk) => (holding ? held.push([upstream, chunk]) : upstream.write(chunk)));
    upstream.pipe(client);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    cut() {
      refusing = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      refusing = false;
    },
    /** From now on, what clients send waits in the proxy. */
    hold() {
      holding = true;
    },
    /** Sends on what was held, in order, and stops holding. */
    release() {
      holding = false;
      for (const [socket, chunk] of held.splice(0)) if (!socket.destroyed) socket.write(chunk);
    },
    /** New connections go to another node, as a load balancer sends clients of a dead node elsewhere. */
    retarget(node) {
      targetPort = node.port;
    },
    close() {
      refusing = true;
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * nginx on a free loopback port in front of the nodes, running the operator's config
 * deploy/nginx/pushservice.conf with its upstream servers and listen address replaced (as the
 * C# LoadBalancer does). Stickiness by the push_affinity cookie; a dead node is skipped.
 */
export async function startNginx(nodes) {
  const binary = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"].find(existsSync) ?? "nginx";
  const directory = mkdtempSync(path.join(tmpdir(), "push-sdk-nginx-"));
  chmodSync(directory, 0o755); // Workers that drop root must reach their temporary files.
  const port = await freePort();
  const template = readFileSync(path.join(REPO, "deploy/nginx/pushservice.conf"), "utf8");
  const servers = [...template.matchAll(/^([ \t]*)server[ \t]+[^\s;]+:\d+([^;\n]*);[ \t]*\n/gm)];
  if (servers.length === 0 || !/^[ \t]*listen[ \t]+80;/m.test(template)) {
    throw new Error("deploy/nginx/pushservice.conf no longer has 'server host:port …;' lines and a 'listen 80;'; update startNginx.");
  }
  const [, indent, parameters] = servers[0];
  const first = servers[0].index;
  const last = servers.at(-1);
  const upstreams = nodes.map((node) => `${indent}server 127.0.0.1:${node.port}${parameters};\n`).join("");
  const site = (template.slice(0, first) + upstreams + template.slice(last.index + last[0].length))
    .replace(/^([ \t]*)listen[ \t]+80;/m, `$1listen 127.0.0.1:${port};`);
  writeFileSync(path.join(directory, "pushservice.conf"), site);
  writeFileSync(path.join(directory, "nginx.conf"), `worker_processes 1;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${directory}/client_body;
  proxy_temp_path ${directory}/proxy;
  fastcgi_temp_path ${directory}/fastcgi;
  uwsgi_temp_path ${directory}/uwsgi;
  scgi_temp_path ${directory}/scgi;
  # Tests only: which node answered.
  add_header X-Push-Upstream $upstream_addr always;
  include ${directory}/pushservice.conf;
}
`);
  const nginx = new Child(`nginx:${port}`, binary, ["-p", `${directory}/`, "-c", path.join(directory, "nginx.conf"),
    "-g", `daemon off; pid ${directory}/nginx.pid; error_log stderr notice;`], {});
  await nginx.waitForLine("start worker process", START_TIMEOUT_MS);
  nginx.port = port;
  nginx.url = `http://127.0.0.1:${port}`;
  const kill = nginx.kill.bind(nginx);
  // SIGTERM: the master stops its workers and exits (SIGKILL would orphan them).
  nginx.kill = async () => {
    await kill("SIGTERM");
    rmSync(directory, { recursive: true, force: true });
  };
  return nginx;
}

/** Stops whatever was started, in reverse order, even if some already exited. */
export async function stopAll(...children) {
  for (const child of children.reverse()) {
    try {
      await child?.kill?.();
    } catch (error) {
      console.error(`stopping ${child?.name}: ${error.message}`);
    }
  }
}
