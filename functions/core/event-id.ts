/**
 * Ids of username changes (tenant events): `evt_` + a ULID (26 Crockford base32 characters:
 * 48 bits of milliseconds since the epoch, then 80 random bits), so ids are unique without
 * coordination and sort by creation time to the millisecond.
 * Source: the ULID specification, https://github.com/ulid/spec.
 */
import { randomBytes } from "node:crypto";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A new event id, e.g. `evt_01JD3Q8ZK5N4W6T9X2C7B1M0AF`; `now` in epoch ms (default: the clock). */
export function newEventId(now: number = Date.now()): string {
  let time = "";
  let ms = Math.floor(now);
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[ms % 32] + time;
    ms = Math.floor(ms / 32);
  }
  const random = randomBytes(10);
  let bits = 0n;
  for (const byte of random) bits = (bits << 8n) | BigInt(byte);
  let tail = "";
  for (let i = 0; i < 16; i++) {
    tail = CROCKFORD[Number(bits & 31n)] + tail;
    bits >>= 5n;
  }
  return `evt_${time}${tail}`;
}
