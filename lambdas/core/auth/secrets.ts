import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Client secrets are kept only as scrypt hashes, `scrypt$N$r$p$<salt>$<hash>` (base64url), so
 * that the parameters can be raised later without invalidating stored hashes. One hash takes
 * tens of milliseconds and 32 MiB: cheap for a client fetching an hourly token, dear for
 * someone guessing.
 */
const COST = { N: 2 ** 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;

function derive(secret: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  const maxmem = 256 * options.N! * options.r! + 1024 * 1024;
  return new Promise((resolve, reject) => scrypt(secret, salt, KEY_BYTES, { ...options, maxmem }, (error, key) => (error ? reject(error) : resolve(key))));
}

/** A new random secret: 256 bits, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(secret, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Stands in for an unknown client's hash: same cost, and no secret matches it (the check below makes sure). */
const UNKNOWN_CLIENT_HASH = ['scrypt', COST.N, COST.r, COST.p, Buffer.alloc(SALT_BYTES).toString('base64url'), Buffer.alloc(KEY_BYTES).toString('base64url')].join('$');

/**
 * Whether `secret` matches `stored`, compared in constant time. Without a stored hash (an
 * unknown client) a hash is still computed, so that an unknown client costs what a wrong
 * secret costs and answers as late.
 */
export async function secretMatches(secret: string, stored: string | undefined): Promise<boolean> {
  const [scheme, N, r, p, salt, hash] = (stored ?? UNKNOWN_CLIENT_HASH).split('$');
  if (scheme !== 'scrypt' || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(secret, Buffer.from(salt, 'base64url'), { N: Number(N), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected) && stored !== undefined;
}
