import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig, ExternalIssuerConfig } from '../config';
import { DependencyUnavailableError, UnauthorizedError } from '../errors';
import type { Caller } from './caller';
import { isScope, roleOf, type Scope } from './scopes';
import { ACCESS_TOKEN_TYPE } from './tokens';
import type { PublicTokenKey } from './token-keys';

/** How far apart the issuer's clock and ours may be. */
export const CLOCK_TOLERANCE_SECONDS = 30;
/** The longest token lifetime the VTN issues; a token claiming to be issued later than now fails too. */
const MAX_TOKEN_AGE_SECONDS = 86_400;
/** An external key set is fetched once, kept this long, and refetched early only for an unknown key id. */
const REMOTE_KEYS_MAX_AGE_MS = 3_600_000;

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** An issuer whose tokens are accepted, and how its claims name the client and its scopes. */
interface TrustedIssuer {
  issuer: string;
  audience?: string;
  keys: JWTVerifyGetKey;
  algorithms: string[];
  typ?: string;
  maxTokenAge?: number;
  requiredClaims: string[];
  caller(payload: JWTPayload): { clientID: unknown; scopes: Scope[] };
}

/**
 * Verifies bearer tokens: the VTN's own (RS256, its key in memory) and, when configured, those
 * of one external identity provider (its key set fetched once and cached). Signature, expiry
 * and not-before (with a small clock allowance), issuer, audience and algorithm are checked;
 * `alg: none` never verifies. Built once per instance; each verification is local.
 */
export class TokenVerifier {
  private readonly issuers: TrustedIssuer[];

  constructor(config: Pick<AuthConfig, 'issuer' | 'audience' | 'external'>, ownKey: PublicTokenKey) {
    this.issuers = [
      {
        issuer: config.issuer,
        audience: config.audience,
        keys: createLocalJWKSet({ keys: [ownKey.jwk] }),
        algorithms: ['RS256'],
        typ: ACCESS_TOKEN_TYPE,
        maxTokenAge: MAX_TOKEN_AGE_SECONDS,
        requiredClaims: ['exp', 'iat', 'sub'],
        caller: (payload) => ({ clientID: payload.sub, scopes: knownScopes(payload.scope, '') }),
      },
      ...(config.external ? [externalIssuer(config.external)] : []),
    ];
  }

  /** The caller a request's Authorization header proves; UnauthorizedError when it proves none. */
  async verify(authorization: string | undefined): Promise<Caller> {
    if (!authorization) throw new UnauthorizedError('this operation requires an access token: send Authorization: Bearer <token>', 'Bearer');
    const token = BEARER.exec(authorization)?.[1];
    if (!token) throw invalidToken('the Authorization header is not a bearer token');
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw invalidToken('the access token is malformed');
    }
    const trusted = this.issuers.find((candidate) => candidate.issuer === issuer);
    if (!trusted) throw invalidToken('the access token is not from an issuer this VTN accepts');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, trusted.keys, {
        issuer: trusted.issuer,
        audience: trusted.audience,
        algorithms: trusted.algorithms,
        typ: trusted.typ,
        maxTokenAge: trusted.maxTokenAge,
        requiredClaims: trusted.requiredClaims,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (error) {
      throw verificationFailure(error);
    }
    const { clientID, scopes } = trusted.caller(payload);
    if (typeof clientID !== 'string' || clientID === '') throw invalidToken('the access token names no client');
    return { clientID, role: roleOf(scopes), scopes, expiresAt: payload.exp === undefined ? undefined : payload.exp * 1000 };
  }
}

function externalIssuer(external: ExternalIssuerConfig): TrustedIssuer {
  return {
    issuer: external.issuer,
    audience: external.audience,
    keys: createRemoteJWKSet(new URL(external.jwksUrl), { cacheMaxAge: REMOTE_KEYS_MAX_AGE_MS }),
    algorithms: ['RS256', 'PS256', 'ES256'],
    requiredClaims: ['exp'],
    caller: (payload) => ({ clientID: payload[external.clientIdClaim], scopes: knownScopes(payload[external.scopeClaim], external.scopePrefix) }),
  };
}

/** OpenADR scopes of a claim (space-separated, or a list), each with `prefix` stripped; others are ignored. */
function knownScopes(claim: unknown, prefix: string): Scope[] {
  const values = typeof claim === 'string' ? claim.split(' ') : Array.isArray(claim) ? claim.filter((value) => typeof value === 'string') : [];
  return [...new Set(values.filter((value) => value.startsWith(prefix)).map((value) => value.slice(prefix.length)).filter(isScope))];
}

function invalidToken(reason: string): UnauthorizedError {
  return new UnauthorizedError(reason, `Bearer error="invalid_token", error_description="${reason}"`);
}

/** What a failed verification tells the client: which check failed, never the token. */
function verificationFailure(error: unknown): Error {
  if (error instanceof errors.JWTExpired) return invalidToken('the access token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    const reason = error.claim === 'nbf' || error.claim === 'iat' ? 'the access token is not valid yet' : `the access token's ${error.claim} is not accepted`;
    return invalidToken(reason);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return invalidToken("the access token's algorithm is not accepted");
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return invalidToken("the access token's signature does not verify");
  }
  // A key set that did not arrive, or not as JSON: the provider's fault, not the token's.
  const providerFailure = error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || (error as Error)?.constructor === errors.JOSEError;
  if (providerFailure || !(error instanceof errors.JOSEError)) {
    return new DependencyUnavailableError("the identity provider's keys could not be fetched; retry");
  }
  return invalidToken('the access token is malformed');
}
