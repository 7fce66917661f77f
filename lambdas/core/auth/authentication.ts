import { readConfig } from '../config';
import { ANONYMOUS, type Caller } from './caller';
import { publicTokenKey } from './token-keys';
import { TokenVerifier } from './verifier';

/** Finds who calls from a request's Authorization header, or fails with UnauthorizedError. */
export type Authenticator = (authorization: string | undefined) => Promise<Caller>;

let verifier: Promise<TokenVerifier | undefined> | undefined;

/**
 * This instance's authenticator: the verifier, with its keys, is built on first use and kept at
 * module scope for the warm invocations that follow. With VTN_AUTH=off every caller is ANONYMOUS.
 */
export const authenticate: Authenticator = async (authorization) => {
  verifier ??= buildVerifier();
  const built = await verifier;
  return built ? built.verify(authorization) : ANONYMOUS;
};

/** Builds the verifier (imports the key) ahead of the first request; its failure is that request's. */
export async function primeAuthentication(): Promise<void> {
  verifier ??= buildVerifier();
  await verifier;
}

async function buildVerifier(): Promise<TokenVerifier | undefined> {
  const { auth } = readConfig();
  return auth.enabled ? new TokenVerifier(auth, await publicTokenKey(auth)) : undefined;
}

/** Forgets the verifier; the next request builds it again from the environment (tests, the local VTN). */
export function resetAuthentication(): void {
  verifier = undefined;
}
