import { BlockList, isIP } from 'node:net';

/**
 * Which callback addresses the VTN refuses to call (SSRF): loopback, private, carrier-grade NAT,
 * link-local (with the cloud metadata endpoints 169.254.169.254 and fd00:ec2::254), multicast,
 * and reserved ranges. Checked on the URL when a subscription is written and on every resolved
 * address before a delivery connects.
 */
const FORBIDDEN = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv6');
}

/** True when an IP address may not be called. IPv4 inside IPv6 (mapped, NAT64) is judged as IPv4. */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return FORBIDDEN.check(address, 'ipv4');
  if (family !== 6) return true;
  const embedded = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (embedded) return FORBIDDEN.check(embedded, 'ipv4');
  const mappedHex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (mappedHex) {
    const [high, low] = [parseInt(mappedHex[1], 16), parseInt(mappedHex[2], 16)];
    return FORBIDDEN.check(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, 'ipv4');
  }
  return FORBIDDEN.check(address, 'ipv6');
}

/**
 * Why a callback URL may not be used, judged on the URL alone (scheme, literal addresses and
 * local names); undefined when it may. Names are resolved and judged again at delivery.
 */
export function callbackUrlProblem(url: string, allowPrivate: boolean): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute http or https URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http or https URL';
  if (allowPrivate) return undefined;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host === 'metadata.google.internal') {
    return `must not point at a local or internal host (${host})`;
  }
  if (isIP(host) && isForbiddenAddress(host)) return `must not point at a loopback, private, link-local or reserved address (${host})`;
  return undefined;
}
