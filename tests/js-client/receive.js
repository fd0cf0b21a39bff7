#!/usr/bin/env node
// A subscriber on the official JavaScript SignalR client (@microsoft/signalr), for the cluster
// tests (tests/PushService.Tests/Cluster/JsClient.cs): connects to the hub with one transport, a
// token and an affinity cookie, optionally subscribes to topics, prints one JSON line per event
// to stdout, and exits after receiving --count notifications (0) or on --timeout (2).
//
//   node receive.js --url http://127.0.0.1:8080/hubs/notifications --transport ServerSentEvents \
//     --token <jwt> [--affinity <key>] [--topic news]... [--count 10] [--timeout 30]
//
// stdout lines: {"event":"connected","transport":"…"}, {"event":"subscribed","topic":"…"},
// {"event":"notification","notification":{…}}, {"event":"done","received":N}.
// Errors go to stderr; any failure exits with 1.
"use strict";

const signalR = require("@microsoft/signalr");
// Node 20 has no global WebSocket: hand the client the ws package's.
const WebSocket = require("ws");

function parse(argv) {
  const options = { topics: [], count: 1, timeout: 30 };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${name} needs a value`);
    switch (name) {
      case "--url": options.url = value; break;
      case "--transport": options.transport = value; break;
      case "--token": options.token = value; break;
      case "--affinity": options.affinity = value; break;
      case "--topic": options.topics.push(value); break;
      case "--count": options.count = Number(value); break;
      case "--timeout": options.timeout = Number(value); break;
      default: throw new Error(`unknown option ${name}`);
    }
  }
  if (!options.url || !options.token) throw new Error("--url and --token are required");
  if (!(options.transport in signalR.HttpTransportType)) throw new Error(`unknown transport ${options.transport}`);
  return options;
}

function print(line) {
  process.stdout.write(JSON.stringify(line) + "\n");
}

async function main() {
  const options = parse(process.argv.slice(2));
  const headers = options.affinity ? { Cookie: `push_affinity=${options.affinity}` } : {};
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(options.url, {
      transport: signalR.HttpTransportType[options.transport],
      accessTokenFactory: () => options.token,
      headers,
      WebSocket,
    })
    .configureLogging(signalR.LogLevel.Warning)
    .build();

  let received = 0;
  let finish;
  const finished = new Promise((resolve) => { finish = resolve; });
  connection.on("notification", (notification) => {
    print({ event: "notification", notification });
    if (++received >= options.count) finish(0);
  });
  connection.onclose((error) => {
    process.stderr.write(`connection closed${error ? `: ${error.message}` : ""}\n`);
    finish(1);
  });
  const timer = setTimeout(() => {
    process.stderr.write(`timed out after ${options.timeout} s with ${received} of ${options.count}\n`);
    finish(2);
  }, options.timeout * 1000);

  await connection.start();
  print({ event: "connected", transport: options.transport, connectionId: connection.connectionId });
  for (const topic of options.topics) {
    await connection.invoke("Subscribe", topic);
    print({ event: "subscribed", topic });
  }

  const code = await finished;
  clearTimeout(timer);
  print({ event: "done", received });
  await connection.stop().catch(() => {});
  process.exit(code);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
