import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { decodeJwt, exportJWK, SignJWT, type JWTPayload } from 'jose';
import { publicTokenKey, localSigner, useLocalSigningKey, type PublicTokenKey } from '../../../../lambdas/core/auth/token-keys';
import { issueAccessToken } from '../../../../lambdas/core/auth/tokens';
import { TokenVerifier } from '../../../../lambdas/core/auth/verifier';
import { readConfig, type AuthConfig } from '../../../../lambdas/core/config';
import { DependencyUnavailableError, UnauthorizedError } from '../../../../lambdas/core/errors';

const ISSUER = 'https://vtn.example.com/openadr3/3.1.0';
const settings = { issuer: ISSUER, audience: ISSUER, lifetimeSeconds: 3_600 };
const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

let key: KeyObject;
let publicKey: PublicTokenKey;
let config: AuthConfig;
beforeAll(async () => {
  key = rsa();
  useLocalSigningKey(key);
  config = { ...readConfig({ VTN_TOKEN_ISSUER: ISSUER }).auth };
  publicKey = await publicTokenKey(config);
});
afterAll(() => useLocalSigningKey(undefined));

const token = (scopes: string[] = ['read_all', 'write_subscriptions'], now?: number, signingKey = key) =>
  issueAccessToken(localSigner(signingKey, publicKey.kid), 'ven-42', scopes, settings, now);

/** A JWT with any header and claims, signed by `signingKey` (the VTN's own by default). */
function crafted(claims: JWTPayload, header: Record<string, unknown> = {}, signingKey: KeyObject = key): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: ISSUER, aud: ISSUER, sub: 'ven-42', scope: 'read_all', iat: now, exp: now + 600, ...claims })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: publicKey.kid, ...header })
    .sign(signingKey);
}

async function refusal(verifier: TokenVerifier, authorization: string | undefined): Promise<UnauthorizedError> {
  const error = await verifier.verify(authorization).then(() => undefined, (failure: unknown) => failure);
  expect(error).toBeInstanceOf(UnauthorizedError);
  return error as UnauthorizedError;
}

describe("the VTN's own tokens", () => {
  let verifier: TokenVerifier;
  beforeAll(() => {
    verifier = new TokenVerifier(config, publicKey);
  });

  test('a valid token gives the caller: clientID from sub, its scopes, the role they make', async () => {
    const issued = await token();
    // expiresAt: when the token's exp says, in ms (the MQTT broker ends the connection then).
    const expiresAt = (decodeJwt(issued).exp as number) * 1000;
    expect(await verifier.verify(`Bearer ${issued}`)).toEqual({ clientID: 'ven-42', role: 'VEN', scopes: ['read_all', 'write_subscriptions'], expiresAt });
    expect((await verifier.verify(`bearer ${await token(['read_bl', 'unknown_scope'])}`)).role).toBe('BL');
    expect((await verifier.verify(`Bearer ${await token(['read_bl', 'unknown_scope'])}`)).scopes).toEqual(['read_bl']);
  });

  test('no header asks for a token; another scheme or a malformed token is an invalid token', async () => {
    const missing = await refusal(verifier, undefined);
    expect(missing.challenge).toBe('Bearer');
    for (const header of ['Basic dmVuOnNlY3JldA==', 'Bearer', 'Bearer not-a-jwt', 'Bearer a.b.c', `Bearer ${await token()} extra`]) {
      const refused = await refusal(verifier, header);
      expect(refused.challenge).toMatch(/^Bearer error="invalid_token"/);
    }
  });

  test('expired, beyond the 30 s clock allowance; within it, still valid', async () => {
    const hour = 3_600_000;
    expect((await refusal(verifier, `Bearer ${await token(undefined, Date.now() - hour - 60_000)}`)).message).toBe('the access token has expired');
    await expect(verifier.verify(`Bearer ${await token(undefined, Date.now() - hour - 10_000)}`)).resolves.toMatchObject({ clientID: 'ven-42' });
  });

  test('not yet valid: issued in the future, or with a future nbf', async () => {
    expect((await refusal(verifier, `Bearer ${await token(undefined, Date.now() + 120_000)}`)).message).toBe('the access token is not valid yet');
    const now = Math.floor(Date.now() / 1000);
    expect((await refusal(verifier, `Bearer ${await crafted({ nbf: now + 120 })}`)).message).toBe('the access token is not valid yet');
    await expect(verifier.verify(`Bearer ${await crafted({ nbf: now + 10 })}`)).resolves.toMatchObject({ clientID: 'ven-42' });
  });

  test('signed by another key (even under our key id), or tampered with, does not verify', async () => {
    expect((await refusal(verifier, `Bearer ${await token(undefined, undefined, rsa())}`)).message).toBe("the access token's signature does not verify");
    const [header, , signature] = (await token()).split('.');
    const forged = Buffer.from(JSON.stringify({ iss: ISSUER, aud: ISSUER, sub: 'bl', scope: 'read_bl write_programs', iat: 1, exp: 4_102_444_800 })).toString('base64url');
    expect((await refusal(verifier, `Bearer ${header}.${forged}.${signature}`)).message).toBe("the access token's signature does not verify");
    const [h, p, s] = (await token()).split('.');
    const flipped = `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    expect((await refusal(verifier, `Bearer ${h}.${p}.${flipped}`)).message).toBe("the access token's signature does not verify");
  });

  test('another issuer, another audience, another token type, or no subject is refused', async () => {
    expect((await refusal(verifier, `Bearer ${await crafted({ iss: 'https://elsewhere.example.com' })}`)).message).toBe('the access token is not from an issuer this VTN accepts');
    expect((await refusal(verifier, `Bearer ${await crafted({ aud: 'another-api' })}`)).message).toBe("the access token's aud is not accepted");
    expect((await refusal(verifier, `Bearer ${await crafted({}, { typ: 'JWT' })}`)).message).toBe("the access token's typ is not accepted");
    expect((await refusal(verifier, `Bearer ${await crafted({ sub: undefined })}`)).message).toMatch(/sub/);
  });

  test('alg none, or HS256 keyed with the public key, never verifies', async () => {
    const claims = Buffer.from(JSON.stringify({ iss: ISSUER, aud: ISSUER, sub: 'bl', scope: 'read_bl', iat: Math.floor(Date.now() / 1000), exp: 4_102_444_800 })).toString('base64url');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${claims}.`;
    expect((await refusal(verifier, `Bearer ${none}`)).message).toMatch(/algorithm|malformed/);
    const publicKeyBytes = Buffer.from(JSON.stringify(publicKey.jwk));
    const hs256 = await new SignJWT({ iss: ISSUER, aud: ISSUER, sub: 'bl', scope: 'read_bl' }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: publicKey.kid }).setIssuedAt().setExpirationTime('1h').sign(publicKeyBytes);
    expect((await refusal(verifier, `Bearer ${hs256}`)).message).toBe("the access token's algorithm is not accepted");
  });
});

describe('an external issuer (Cognito-like: scopes with a resource-server prefix, client_id claim, no aud)', () => {
  const EXTERNAL = 'https://idp.example.com/pool';
  let idpKey: KeyObject;
  let server: Server;
  let keySetRequests = 0;
  let jwksUrl: string;

  beforeAll(async () => {
    idpKey = rsa();
    const jwk = { ...(await exportJWK(idpKey)), d: undefined, p: undefined, q: undefined, dp: undefined, dq: undefined, qi: undefined, kid: 'idp-1', alg: 'RS256' };
    server = createServer((_request, response) => {
      keySetRequests += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const external = (extra: Partial<NonNullable<AuthConfig['external']>> = {}) =>
    new TokenVerifier({ ...config, external: { issuer: EXTERNAL, jwksUrl, scopePrefix: 'openadr/', clientIdClaim: 'client_id', scopeClaim: 'scope', ...extra } }, publicKey);
  const idpToken = (claims: JWTPayload = {}) =>
    new SignJWT({ client_id: 'ven-cognito', token_use: 'access', scope: 'openadr/read_all openadr/write_subscriptions other/read_bl read_bl', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'idp-1' })
      .setIssuer(EXTERNAL)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(idpKey);

  test('its tokens verify with its key set, fetched once; scopes lose the prefix, others are ignored', async () => {
    const verifier = external();
    for (let i = 0; i < 5; i++) {
      const issued = await idpToken();
      const expiresAt = (decodeJwt(issued).exp as number) * 1000;
      expect(await verifier.verify(`Bearer ${issued}`)).toEqual({ clientID: 'ven-cognito', role: 'VEN', scopes: ['read_all', 'write_subscriptions'], expiresAt });
    }
    expect(keySetRequests).toBe(1);
    expect((await verifier.verify(`Bearer ${await idpToken({ scope: 'openadr/read_bl openadr/write_programs' })}`)).role).toBe('BL');
    // The VTN's own tokens still verify beside them.
    expect((await verifier.verify(`Bearer ${await token()}`)).clientID).toBe('ven-42');
  });

  test('a list claim (Entra ID roles) and a configured audience', async () => {
    const verifier = external({ scopePrefix: '', scopeClaim: 'roles', audience: 'api://vtn' });
    expect((await verifier.verify(`Bearer ${await idpToken({ roles: ['read_all', 'write_vens'], aud: 'api://vtn' })}`)).scopes).toEqual(['read_all', 'write_vens']);
    expect((await refusal(verifier, `Bearer ${await idpToken({ roles: ['read_all'] })}`)).message).toMatch(/aud/);
  });

  test('a token naming no client, or signed by another key, is refused', async () => {
    expect((await refusal(external(), `Bearer ${await idpToken({ client_id: undefined })}`)).message).toBe('the access token names no client');
    const other = await new SignJWT({ client_id: 'x' }).setProtectedHeader({ alg: 'RS256', kid: 'idp-1' }).setIssuer(EXTERNAL).setIssuedAt().setExpirationTime('1h').sign(rsa());
    expect((await refusal(external(), `Bearer ${other}`)).message).toBe("the access token's signature does not verify");
  });

  test('an identity provider that does not answer is a retryable 503, not a 401', async () => {
    const verifier = external({ jwksUrl: 'http://127.0.0.1:1/jwks.json' });
    await expect(verifier.verify(`Bearer ${await idpToken()}`)).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});
