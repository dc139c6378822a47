// UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Made on the client so that a batch sent
// again after a lost answer carries the same ids, which the server answers as duplicates.

type RandomSource = { getRandomValues<T extends ArrayBufferView | null>(array: T): T };

// Browsers and Node.js 19+ have crypto as a global; Node.js 18 has it under node:crypto (never reached in a browser).
const random: RandomSource =
  (globalThis as { crypto?: RandomSource }).crypto ?? ((await import("node:crypto" as string)) as { webcrypto: RandomSource }).webcrypto;

const hex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** A new UUID v7 as text (`xxxxxxxx-xxxx-7xxx-yxxx-xxxxxxxxxxxx`). */
export function uuidv7(now: number = Date.now()): string {
  const bytes = new Uint8Array(16);
  random.getRandomValues(bytes);
  let ms = now;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const h = Array.from(bytes, (b) => hex[b]!);
  return `${h.slice(0, 4).join("")}-${h.slice(4, 6).join("")}-${h.slice(6, 8).join("")}-${h.slice(8, 10).join("")}-${h.slice(10).join("")}`;
}
