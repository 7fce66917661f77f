import { loggedUrl } from '../../../../lambdas/core/notifications/log-redaction';

test('loggedUrl keeps scheme, host, port and path, and masks userinfo, query and fragment', () => {
  expect(loggedUrl('https://ven.example.com/cb')).toBe('https://ven.example.com/cb');
  expect(loggedUrl('http://ven.example.com:8443/a/b')).toBe('http://ven.example.com:8443/a/b');
  expect(loggedUrl('https://user:pw@ven.example.com/cb?token=abc')).toBe('https://***@ven.example.com/cb?***');
  expect(loggedUrl('https://user@[2606:4700::1]:9000/cb#secret')).toBe('https://***@[2606:4700::1]:9000/cb#***');
  expect(loggedUrl('https://:pw@ven.example.com')).toBe('https://***@ven.example.com/');
  expect(loggedUrl('not a url with a secret')).toBe('***');
});
