import { createHash } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { authenticate, type Authenticator } from './core/auth/authentication';
import { logger, type Logger } from './core/logger';
import { brokerClient, isRefusal, type FindVen } from './core/notifications/mqtt/access';
import { iotTopicLayout } from './core/notifications/mqtt/iot-environment';
import type { TopicLayout, TopicReader } from './core/notifications/mqtt/topics';
import { vtnStorage } from './core/runtime';

/**
 * The IoT Core custom authorizer: IoT Core calls it for every MQTT connection (and again every
 * `refreshAfterInSeconds`) and enforces the policy it answers with. Who may connect is the
 * broker's connection rule (access.ts `brokerClient`, as the local broker applies it): the
 * password an access token of the VTN, the username and the MQTT client id the client id it
 * names.
 *
 * The policy is `TopicLayout.mayReceive` written as IoT policy: a BL may subscribe to any filter
 * below the prefix, a VEN to filters below `<prefix>/vens/<its venID>/`; each receives only what
 * its token's scopes cover (`scopesToReceive`); clients never publish.
 * A VEN client without a ven may only connect: it gets its topics when IoT Core asks again
 * (at most 5 minutes after connecting) or when it reconnects after registering its ven.
 */

/** What IoT Core sends (docs: "Defining your Lambda function"); the password is base64. */
export interface IotAuthorizerEvent {
  protocols?: string[];
  protocolData?: { mqtt?: { username?: string; password?: string; clientId?: string }; tls?: { serverName?: string } };
  connectionMetadata?: { id?: string };
}

export interface IotPolicyDocument {
  Version: '2012-10-17';
  Statement: { Effect: 'Allow'; Action: string[]; Resource: string[] }[];
}

export interface IotAuthorizerResponse {
  isAuthenticated: boolean;
  principalId: string;
  disconnectAfterInSeconds: number;
  refreshAfterInSeconds: number;
  policyDocuments: IotPolicyDocument[];
}

/** IoT Core's bounds for both durations. */
export const MIN_SESSION_SECONDS = 300;
export const MAX_SESSION_SECONDS = 86_400;
/** IoT Core's longest MQTT client id. */
const MAX_CLIENT_ID_BYTES = 128;
/**
 * IAM wildcards (`*`, `?`), policy variables (`$`), topic levels and MQTT wildcards: a client id
 * with any of them would match, in `client/<clientID>`, more than its own name.
 */
const UNSAFE_CLIENT_ID = /[*?$/+#]/;

export interface ConnectionCheck {
  authenticate: Authenticator;
  /** The ven a client registered (storage `vens.findByClient`). */
  findVen: FindVen;
  layout: TopicLayout;
  /** `arn:<partition>:iot:<region>:<account>`, the start of every resource in the policy. */
  iotArnPrefix: string;
  logger: Logger;
  now?: () => number;
}

/**
 * The answer to one connection: authenticated with its policy, or refused (no policy). A
 * refusal is logged with its reason, never the password. Storage or an identity provider being
 * unavailable rejects: IoT Core refuses the connection and the client tries again.
 */
export async function authorizeConnection(event: IotAuthorizerEvent, check: ConnectionCheck): Promise<IotAuthorizerResponse> {
  const { username, password, clientId } = event.protocolData?.mqtt ?? {};
  // Names sent are logged only once the token has vouched for them: a client that mixed up its
  // fields could have sent its token as one.
  let log = check.logger.with({ connectionId: event.connectionMetadata?.id });
  const refuse = (reason: string): IotAuthorizerResponse => {
    log.warn('MQTT connection refused', { reason });
    return REFUSED;
  };
  if (!password) return refuse('no password: send an access token of the VTN');
  const token = Buffer.from(password, 'base64').toString('utf8');
  const client = await brokerClient(username, token, clientId ?? '', check.authenticate, check.findVen);
  if (isRefusal(client)) return refuse(client.refused);
  // VTN_AUTH=off admits anyone as a BL through the API and the local broker; never through IoT Core.
  if (client.expiresAt === undefined) return refuse('no access token was verified (VTN_AUTH=off is not served over IoT Core)');
  const { clientID, reader } = client;
  log = log.with({ clientID });
  if (UNSAFE_CLIENT_ID.test(clientID) || Buffer.byteLength(clientID) > MAX_CLIENT_ID_BYTES) {
    return refuse('the client id cannot be an IoT Core client id (at most 128 bytes, none of * ? $ / + #)');
  }
  const secondsLeft = Math.floor((client.expiresAt - (check.now ?? Date.now)()) / 1000);
  const disconnectAfterInSeconds = clamp(secondsLeft, MIN_SESSION_SECONDS, MAX_SESSION_SECONDS);
  log.info('MQTT connection authorized', { role: reader.role, venID: reader.role === 'VEN' ? reader.venID : undefined, disconnectAfterInSeconds });
  return {
    isAuthenticated: true,
    principalId: principalIdOf(clientID),
    disconnectAfterInSeconds,
    // A VEN without a ven is asked about again soon, so that registering one opens its topics.
    refreshAfterInSeconds: reader.role === 'VEN' && reader.venID === undefined ? MIN_SESSION_SECONDS : disconnectAfterInSeconds,
    policyDocuments: [policyFor(clientID, reader, check.layout, check.iotArnPrefix)],
  };
}

const REFUSED: IotAuthorizerResponse = {
  isAuthenticated: false,
  principalId: 'refused',
  disconnectAfterInSeconds: MIN_SESSION_SECONDS,
  refreshAfterInSeconds: MIN_SESSION_SECONDS,
  policyDocuments: [],
};

/**
 * What `reader` may do: connect as `clientID`, subscribe to what `mayReceive` allows its role, and
 * receive what it allows its role and scopes. IAM's `*` matches any characters, `/` included; `?`
 * is not used.
 */
export function policyFor(clientID: string, reader: TopicReader, layout: TopicLayout, iotArnPrefix: string): IotPolicyDocument {
  const statements: IotPolicyDocument['Statement'] = [{ Effect: 'Allow', Action: ['iot:Connect'], Resource: [`${iotArnPrefix}:client/${clientID}`] }];
  const root = readableRoot(reader, layout);
  if (root !== undefined) {
    statements.push({ Effect: 'Allow', Action: ['iot:Subscribe'], Resource: [`${iotArnPrefix}:topicfilter/${root}/*`] });
    const names = receivable(reader, root, layout);
    if (names.length > 0) statements.push({ Effect: 'Allow', Action: ['iot:Receive'], Resource: names.map((name) => `${iotArnPrefix}:topic/${name}`) });
  }
  return { Version: '2012-10-17', Statement: statements };
}

/**
 * The names (IAM patterns) `reader` may receive below `root`, by the scopes its token holds, as
 * `scopesToReceive` takes them. IoT Core checks Receive at each delivery, so a subscription the
 * token's scopes do not cover delivers nothing. A BL lacking `read_targets` or
 * `read_ven_objects` is not given the ven's own names (`vens/<venID>/<op>`): IAM's `*` cannot
 * stop at one level, and refusing more than the rule is the safe side.
 */
function receivable(reader: TopicReader, root: string, layout: TopicLayout): string[] {
  const scopes = reader.scopes;
  const targets = !scopes || scopes.includes('read_targets');
  const venObjects = !scopes || scopes.includes('read_ven_objects');
  if (targets && venObjects) return [`${root}/*`];
  const underVens = reader.role === 'BL' ? `${root}/vens/*` : root;
  const names = [
    ...(targets ? [`${underVens}/events/*`, `${underVens}/programs/*`] : []),
    ...(venObjects ? [`${underVens}/resources/*`, ...(reader.role === 'VEN' ? ['update', 'delete'].map((operation) => `${root}/${operation}`) : [])] : []),
  ];
  if (reader.role === 'BL') {
    names.push(...['programs', 'events', 'reports', 'subscriptions', 'resources'].map((kind) => `${root}/${kind}/*`));
    names.push(...Object.values(layout.allVens()).filter((name) => !name.endsWith('/+')));
  }
  return names;
}

/** The topic level below which `reader` may read everything; undefined for a VEN without a ven. */
function readableRoot(reader: TopicReader, layout: TopicLayout): string | undefined {
  if (reader.role === 'BL') return layout.prefix;
  if (reader.venID === undefined) return undefined;
  // The layout's own name for the ven's topics, `<prefix>/vens/<venID>/+`, without its last level
  // (and its check that a ven id is one plain level).
  return layout.ven(reader.venID).ALL.slice(0, -'/+'.length);
}

/** IoT Core's principal ids are 1 to 128 letters and digits: the client id's SHA-256, in hex. */
export function principalIdOf(clientID: string): string {
  return createHash('sha256').update(clientID).digest('hex');
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

export async function handler(event: IotAuthorizerEvent, context: Pick<Context, 'invokedFunctionArn'>): Promise<IotAuthorizerResponse> {
  // arn:<partition>:lambda:<region>:<account>:function:<name>: IoT Core's resources are in the same account and region.
  const [, partition, , region, account] = context.invokedFunctionArn.split(':');
  return authorizeConnection(event, {
    authenticate,
    findVen: (clientID) => vtnStorage().vens.findByClient(clientID),
    layout: iotTopicLayout(),
    iotArnPrefix: `arn:${partition}:iot:${region}:${account}`,
    logger: logger(),
  });
}
