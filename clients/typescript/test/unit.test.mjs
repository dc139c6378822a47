// Unit tests of the pieces that need no gateway: ids and retry delays. The delivery tests run against a real gateway
// from the .NET suite (tests/Clients/TypeScriptClientTests.cs), which drives test/deliver.mjs and a browser page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { uuidv7, retryDelay, retryAfter } from "../dist/index.js";

test("ids are UUID v7, ordered by time, never repeated", () => {
  const ids = Array.from({ length: 1000 }, (_, i) => uuidv7(1_700_000_000_000 + i));
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(uuidv7(0x0123456789ab).slice(0, 13), "01234567-89ab");
});

test("retry delays back off with jitter, and a longer Retry-After wins", () => {
  for (let attempt = 0; attempt < 12; attempt++) {
    const capped = Math.min(500 * 2 ** attempt, 30_000);
    const delay = retryDelay(attempt, 500, 30_000);
    assert.ok(delay >= capped / 2 && delay <= capped, `${attempt}: ${delay}`);
  }
  assert.equal(retryDelay(0, 500, 30_000, 4_000), 4_000);
  assert.equal(retryDelay(0, 500, 30_000, 3_600_000), 300_000);
  assert.equal(retryAfter("3"), 3_000);
  assert.equal(retryAfter(new Date(10_000).toUTCString(), 4_000), 6_000);
  assert.equal(retryAfter("soon"), undefined);
  assert.equal(retryAfter(null), undefined);
});
