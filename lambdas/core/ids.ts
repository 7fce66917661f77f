import { randomBytes } from 'node:crypto';

let lastMillis = 0;
let sequence = 0;

/**
 * A UUIDv7 (RFC 9562): a 48-bit millisecond timestamp, then a 12-bit counter that keeps ids
 * created in the same millisecond by this process in order, then random bits. Ids therefore
 * sort in creation order, and they match the spec's objectID pattern.
 */
export function newObjectId(now: number = Date.now()): string {
  if (now > lastMillis) {
    lastMillis = now;
    sequence = randomBytes(2).readUInt16BE(0) & 0x3ff; // leave room to count up within the millisecond
  } else {
    sequence += 1;
    if (sequence > 0xfff) {
      lastMillis += 1; // borrow the next millisecond rather than break the order
      sequence = 0;
    }
  }
  const bytes = randomBytes(16);
  bytes.writeUIntBE(lastMillis, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
