import { SCOPES, type Role, type Scope } from './scopes';

/** Who is calling, from the verified access token. */
export interface Caller {
  clientID: string;
  role: Role;
  scopes: readonly Scope[];
  /** When its token expires, in ms since the epoch; undefined when there is no token (VTN_AUTH=off). */
  expiresAt?: number;
}

/** Every caller when authentication is off (VTN_AUTH=off): a BL holding every scope. */
export const ANONYMOUS: Caller = { clientID: 'anonymous', role: 'BL', scopes: SCOPES };
