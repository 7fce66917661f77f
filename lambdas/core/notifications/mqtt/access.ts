import type { Authenticator } from '../../auth/authentication';
import type { Role } from '../../auth/scopes';
import { VtnError } from '../../errors';
import type { TopicReader } from './topics';

/**
 * Who may connect to the VTN's broker, as the local broker and the IoT Core authorizer both
 * decide it. The binding advertises `OAUTH2_BEARER_TOKEN` with username `{clientID}`: the
 * password is an access token of the VTN, verified by the API's own code, and the username is
 * the client id the token names.
 */

/** A client the broker accepted. */
export interface BrokerClient {
  clientID: string;
  role: Role;
  /** Its token's scopes: it receives no more than they let it read over the API. */
  scopes: readonly string[];
  /** What it may subscribe to and receive: found at connecting, kept current by the broker (see `topicReaderOf`). */
  reader: TopicReader;
  /** When its token expires, in ms since the epoch: the connection must end then. Undefined with VTN_AUTH=off. */
  expiresAt?: number;
}

/** A refused connection: why (for the broker's log, never the password), and the MQTT 3.1.1 CONNACK return code. */
export interface BrokerRefusal {
  refused: string;
  /** 2: identifier rejected; 4: bad user name or password. */
  returnCode: 2 | 4;
}

/** The ven of a client, if it has one (storage `vens.findByClient`). */
export type FindVen = (clientID: string) => Promise<{ id: string } | undefined>;

/**
 * The connection rule. The MQTT client id must equal the token's client id too: brokers (and
 * IoT Core) drop an older connection when another arrives with the same client id, so a free
 * choice would let one client disconnect, or take over the persistent session of, another.
 * With VTN_AUTH=off the authenticator answers a BL whatever is sent, as the API does, and no
 * name is checked.
 */
export async function brokerClient(
  username: string | undefined,
  password: string | undefined,
  mqttClientId: string,
  authenticate: Authenticator,
  findVen: FindVen,
): Promise<BrokerClient | BrokerRefusal> {
  let caller;
  try {
    caller = await authenticate(password ? `Bearer ${password}` : undefined);
  } catch (error) {
    if (error instanceof VtnError && error.status === 401) return { refused: `the password is not a valid access token: ${error.message}`, returnCode: 4 };
    throw error;
  }
  // Only a caller without a token (VTN_AUTH=off) has no expiry.
  if (caller.expiresAt !== undefined) {
    if (username !== caller.clientID) return { refused: 'the username must be the client id the access token names', returnCode: 4 };
    if (mqttClientId !== caller.clientID) return { refused: 'the MQTT client id must be the client id the access token names', returnCode: 2 };
  }
  const client = { clientID: caller.clientID, role: caller.role, scopes: caller.scopes };
  return { ...client, reader: await topicReaderOf(client, findVen), expiresAt: caller.expiresAt };
}

/** What a client may subscribe to now: a VEN by the ven it has at this moment (one registered after connecting counts). */
export async function topicReaderOf(client: Pick<BrokerClient, 'clientID' | 'role' | 'scopes'>, findVen: FindVen): Promise<TopicReader> {
  if (client.role === 'BL') return { role: 'BL', scopes: client.scopes };
  return { role: 'VEN', venID: (await findVen(client.clientID))?.id, scopes: client.scopes };
}

export function isRefusal(answer: BrokerClient | BrokerRefusal): answer is BrokerRefusal {
  return 'refused' in answer;
}
