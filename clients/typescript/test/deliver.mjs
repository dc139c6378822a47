// Sends events with the SDK to the gateway at TELEMETRY_URL with TELEMETRY_KEY, then prints one JSON line of what it
// sent and what the client counted; the .NET suite (tests/Clients/TypeScriptClientTests.cs) checks PostgreSQL against it.
//   SCENARIO=steady  COUNT events at about PER_SECOND a second, retrying through whatever the gateway does meanwhile.
//   SCENARIO=bounded 15 events into a queue of 10 (the 5 oldest dropped); the 13th breaks the type rule.
import { TelemetryClient } from "../dist/index.js";

const { TELEMETRY_URL: endpoint, TELEMETRY_KEY: apiKey, SCENARIO: scenario = "steady" } = process.env;
const count = Number(process.env.COUNT ?? 3000);
const perSecond = Number(process.env.PER_SECOND ?? 750);
const statuses = {};
const failures = [];
const rejected = [];
const dropped = [];
// The global fetch, watched: how many answers of each status, and how many requests never got one (0).
const watchedFetch = async (...args) => {
  try {
    const response = await fetch(...args);
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    return response;
  } catch (error) {
    statuses[0] = (statuses[0] ?? 0) + 1;
    throw error;
  }
};

const common = { endpoint, apiKey, fetch: watchedFetch, onFailed: (f) => failures.push(f.reason), onRejected: (r) => rejected.push(r.event.id), onDropped: (e) => dropped.push(e.id) };
const sent = [];
let client;
if (scenario === "bounded") {
  client = new TelemetryClient({ ...common, flushAt: 1000, flushInterval: 3_600_000, maxQueueSize: 10 });
  for (let n = 0; n < 15; n++) sent.push(client.enqueue({ type: n === 12 ? "bad\u0000type" : "lesson", user_id: `u${n % 3}`, properties: { n } }));
} else {
  client = new TelemetryClient({ ...common, flushAt: 50, flushInterval: 200, maxQueueSize: 100_000, maxBatchSize: 200, maxRetries: 100, retryBaseDelay: 100, retryMaxDelay: 2_000 });
  const perTick = Math.max(1, Math.round(perSecond / 10));
  for (let n = 0; n < count; n++) {
    sent.push(client.enqueue({ type: "lesson", user_id: `u${n % 7}`, status: n % 3 === 0 ? "failure" : "success", duration_ms: n % 100, properties: { n } }));
    if (n % perTick === perTick - 1) await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
const flushed = Date.now();
await client.flush();
await client.shutdown();
console.log(JSON.stringify({ sent, stats: client.stats, statuses, failures, rejected, dropped, flushMs: Date.now() - flushed }));
