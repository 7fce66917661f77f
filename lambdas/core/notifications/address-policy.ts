import { BlockList, isIP } from 'node:net';

/** IPv4 networks a callback may not reach: loopback, private, CGNAT, link-local (metadata), multicast, reserved. */
const FORBIDDEN_IPV4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  // 6to4 relay anycast (RFC 7526): a relay that forwards wherever the packet says.
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

const FORBIDDEN_IPV6: readonly (readonly [string, number])[] = [
  // IPv4-compatible (deprecated), with :: and ::1.
  ['::', 96],
  // Local-use NAT64 (RFC 8215): what it translates to is the site's own business.
  ['64:ff9b:1::', 48],
  // Discard-only (RFC 6666).
  ['100::', 64],
  // Teredo: the IPv4 server and client it embeds are obfuscated; no need to decode them.
  ['2001::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  // Site-local (deprecated, RFC 3879): still routed inside some sites.
  ['fec0::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
];

/**
 * IPv6 prefixes that carry an IPv4 address which the connection then reaches: the well-known
 * NAT64 prefix (RFC 6052), IPv4-translated (RFC 2765) and 6to4 (RFC 3056), as prefix groups and
 * the group where the IPv4 address starts. IPv4-mapped (::ffff:0:0/96) BlockList judges as IPv4.
 */
const IPV4_EMBEDDINGS: readonly { prefix: number[]; at: number }[] = [
  { prefix: [0x64, 0xff9b, 0, 0, 0, 0], at: 6 },
  { prefix: [0, 0, 0, 0, 0xffff, 0], at: 6 },
  { prefix: [0x2002], at: 1 },
];

function embedded(prefix: number[], at: number, ipv4: string): string {
  const [a, b, c, d] = ipv4.split('.').map(Number);
  const groups = [...prefix, ...Array<number>(8 - prefix.length).fill(0)];
  groups[at] = (a << 8) | b;
  groups[at + 1] = (c << 8) | d;
  return groups.map((group) => group.toString(16)).join(':');
}

/** Parsed by node, so every textual form of an address (hex, dotted tail, zeros) is judged alike. */
const FORBIDDEN = new BlockList();
for (const [network, prefix] of FORBIDDEN_IPV4) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv4');
  for (const { prefix: groups, at } of IPV4_EMBEDDINGS) FORBIDDEN.addSubnet(embedded(groups, at, network), at * 16 + prefix, 'ipv6');
}
for (const [network, prefix] of FORBIDDEN_IPV6) FORBIDDEN.addSubnet(network, prefix, 'ipv6');

/**
 * True when an IP address may not be called (SSRF). Checked on the URL when a subscription is
 * written and on every resolved address before a delivery connects. IPv4 inside IPv6 is judged
 * as IPv4; a scoped address (`fe80::1%eth0`) is link-local by nature.
 */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return FORBIDDEN.check(address, 'ipv4');
  if (family !== 6 || address.includes('%')) return true;
  return FORBIDDEN.check(address, 'ipv6');
}

/** Names that reach the machine itself or its cloud's metadata service (`instance-data` on EC2). */
const LOCAL_NAMES = new Set(['localhost', 'instance-data']);

/**
 * Why a callback URL may not be used, judged on the URL alone (scheme, literal addresses and
 * local names); undefined when it may. It must be https (Definition.md "Webhooks"); `allowPrivate`,
 * the development switch, also lets http and private addresses pass. Names are resolved and
 * judged again at the echo challenge and at delivery.
 */
export function callbackUrlProblem(url: string, allowPrivate: boolean): string | undefined {
  const schemes = allowPrivate ? 'an http or https' : 'an https';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `must be ${schemes.replace(/^an? /, 'an absolute ')} URL`;
  }
  if (parsed.protocol !== 'https:' && !(allowPrivate && parsed.protocol === 'http:')) return `must be ${schemes} URL`;
  if (allowPrivate) return undefined;
  // `localhost.` is `localhost` to a resolver: judge the name without its root dots.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase().replace(/\.+$/, '');
  if (LOCAL_NAMES.has(host) || host.endsWith('.localhost') || host.endsWith('.internal')) {
    return `must not point at a local or internal host (${host})`;
  }
  if (isIP(host) && isForbiddenAddress(host)) return `must not point at a loopback, private, link-local or reserved address (${host})`;
  return undefined;
}
