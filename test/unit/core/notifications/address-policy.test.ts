import { callbackUrlProblem, isForbiddenAddress } from '../../../../lambdas/core/notifications/address-policy';

describe('isForbiddenAddress', () => {
  test.each([
    ['127.0.0.1', '10.1.2.3', '172.31.255.255', '192.168.0.1', '169.254.169.254', '100.127.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255'],
    ['::1', '::', 'fd00:ec2::254', 'fe80::1', 'fe80::1%eth0', 'ff02::1', '2001:db8::1'],
    // IPv4-mapped, in every textual form
    ['::ffff:10.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:ffff:127.0.0.1', '0000:0000:0000:0000:0000:ffff:7f00:0001', '::ffff:a9fe:a9fe'],
    // IPv4-compatible (::/96): refused whatever it embeds
    ['::7f00:1', '::127.0.0.1', '::8.8.8.8'],
    // NAT64, well-known prefix: the embedded address decides
    ['64:ff9b::7f00:1', '64:ff9b::127.0.0.1', '64:ff9b::10.0.0.1', '64:ff9b::a9fe:a9fe', '0064:ff9b:0000:0000:0000:0000:c0a8:0001'],
    // NAT64, local-use prefix: refused whatever it embeds
    ['64:ff9b:1::808:808', '64:ff9b:1:ffff::1'],
    // IPv4-translated and 6to4 embedding a private address
    ['::ffff:0:7f00:1', '2002:7f00:1::1', '2002:a00:1::', '2002:a9fe:a9fe::1'],
    // Site-local (deprecated), Teredo (whatever it embeds), discard-only
    ['fec0::1', 'feff:ffff::1', '2001::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001:0:ffff::1', '100::1', '100::ffff:ffff:ffff:ffff'],
    // The 6to4 relay anycast, also inside IPv6
    ['192.88.99.1', '::ffff:192.88.99.1', '64:ff9b::c058:6301', '2002:c058:6301::1'],
    ['not-an-ip', ''],
  ])('%s ... are refused', (...addresses) => {
    for (const address of addresses) expect([address, isForbiddenAddress(address)]).toEqual([address, true]);
  });

  test('public addresses are allowed, also inside IPv6', () => {
    for (const address of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8', '64:ff9b::808:808', '2002:808:808::1', '2001:1::1', '2001:4860::8888', '100:0:0:1::1', '192.88.98.1', '192.88.100.1']) {
      expect([address, isForbiddenAddress(address)]).toEqual([address, false]);
    }
  });
});

test('callbackUrlProblem judges a literal address however the URL writes it', () => {
  for (const host of ['[64:ff9b::7f00:1]', '[::7f00:1]', '[::127.0.0.1]', '[::ffff:7f00:1]', '[0:0:0:0:0:ffff:127.0.0.1]', '[64:ff9b::10.0.0.1]']) {
    expect([host, callbackUrlProblem(`https://${host}/hook`, false)]).toEqual([host, expect.stringContaining('must not point at')]);
    expect(callbackUrlProblem(`https://${host}/hook`, true)).toBeUndefined();
  }
  expect(callbackUrlProblem('https://[64:ff9b::8.8.8.8]/hook', false)).toBeUndefined();
});

test('callbackUrlProblem judges a name without its trailing dots, and refuses the metadata names', () => {
  for (const url of [
    'https://localhost./cb',
    'https://localhost../cb',
    'https://api.localhost./cb',
    'https://metadata.google.internal./',
    'https://instance-data/latest/meta-data/',
    'https://instance-data./latest/meta-data/',
    'https://INSTANCE-DATA.ec2.internal/',
    'https://127.0.0.1./cb',
  ]) {
    expect([url, callbackUrlProblem(url, false)]).toEqual([url, expect.stringContaining('must not point at')]);
  }
  expect(callbackUrlProblem('https://ven.example.com./cb', false)).toBeUndefined();
  expect(callbackUrlProblem('https://instance-data.example.com/cb', false)).toBeUndefined();
});

test('callbackUrlProblem wants https; only the development switch lets http pass', () => {
  expect(callbackUrlProblem('http://ven.example.com/cb', false)).toBe('must be an https URL');
  expect(callbackUrlProblem('ftp://ven.example.com/cb', false)).toBe('must be an https URL');
  expect(callbackUrlProblem('not a url', false)).toBe('must be an absolute https URL');
  expect(callbackUrlProblem('https://ven.example.com/cb', false)).toBeUndefined();
  expect(callbackUrlProblem('http://ven.example.com/cb', true)).toBeUndefined();
  expect(callbackUrlProblem('ftp://ven.example.com/cb', true)).toBe('must be an http or https URL');
});
