import type { ClientRecord } from '../storage/port';
import { DEFAULT_SCOPES, roleOf, ROLES, type Role, type Scope } from './scopes';
import { hashSecret, newSecret } from './secrets';

/** Client ids travel in tokens, logs and Basic credentials: kept to URL-safe characters. */
export const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;
/** The token request's bounds on credentials (openadr3.yaml clientCredentialRequest). */
export const MAX_CREDENTIAL_LENGTH = 4096;
/** A secret given by hand (VTN_CLIENTS) at least this long: its hash may be read where the data lies. */
export const MIN_SECRET_LENGTH = 8;

/** A client as an operator describes it; scopes default by role, the secret is drawn at random. */
export interface ClientSpec {
  clientID: string;
  role: string;
  scopes?: readonly string[];
  clientSecret?: string;
}

export class ClientSpecError extends Error {}

/** The record to store for a client and its secret in clear (shown once, never stored). */
export async function registration(spec: ClientSpec, now: string): Promise<{ record: ClientRecord; secret: string }> {
  if (typeof spec.clientID !== 'string' || !CLIENT_ID.test(spec.clientID)) {
    throw new ClientSpecError(`clientID must be 1-128 characters of A-Z a-z 0-9 . _ ~ -, got ${JSON.stringify(spec.clientID)}`);
  }
  if (!(ROLES as readonly string[]).includes(spec.role)) throw new ClientSpecError(`role of ${spec.clientID} must be BL or VEN, got ${JSON.stringify(spec.role)}`);
  const role = spec.role as Role;
  const scopes = [...new Set(spec.scopes ?? DEFAULT_SCOPES[role])];
  // A role's scopes are the most its clients may hold (only VENs write reports, only BLs programs).
  const foreign = scopes.filter((scope) => !(DEFAULT_SCOPES[role] as readonly string[]).includes(scope));
  if (foreign.length > 0 || scopes.length === 0) {
    throw new ClientSpecError(`scopes of ${spec.clientID} must be some of the ${role} scopes (${DEFAULT_SCOPES[role].join(' ')}), got ${JSON.stringify(spec.scopes)}`);
  }
  // The role is what the scopes make of a token (read_bl: BL); a registration must agree with it.
  if (roleOf(scopes) !== role) throw new ClientSpecError(`a BL client needs the scope read_bl (${spec.clientID})`);
  const secret = spec.clientSecret ?? newSecret();
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH || secret.length > MAX_CREDENTIAL_LENGTH) {
    throw new ClientSpecError(`clientSecret of ${spec.clientID} must be ${MIN_SECRET_LENGTH}-${MAX_CREDENTIAL_LENGTH} characters`);
  }
  return { record: { clientID: spec.clientID, role, scopes: scopes as Scope[], secretHash: await hashSecret(secret), createdDateTime: now }, secret };
}
