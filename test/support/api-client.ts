import type { ClientSpec } from '../../lambdas/core/auth/clients';
import { BASE_PATH, matchRoute } from '../../lambdas/routes';
import { startLocalVtn, type LocalVtn, type LocalVtnOptions } from '../../local/vtn';
import { SPEC_PATH, SpecValidator, specAvailable } from './spec';

/** The clients every end-to-end VTN registers (VTN_CLIENTS): a BL and two VENs. */
export const TEST_CLIENTS: ClientSpec[] = [
  { clientID: 'bl-1', clientSecret: 'bl-1-secret', role: 'BL' },
  { clientID: 'ven-1', clientSecret: 'ven-1-secret', role: 'VEN' },
  { clientID: 'ven-2', clientSecret: 'ven-2-secret', role: 'VEN' },
];

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

interface Exchange {
  method: string;
  url: string;
  status: number;
  body: unknown;
}

/**
 * A client for a local VTN started on a free port with an in-memory database and TEST_CLIENTS.
 * It calls as the BL client, with a token from the VTN's token endpoint; `as` gives a client
 * calling as another, `anonymous` one sending no token. All of a file's clients remember every
 * exchange in one list, so that the file can check all responses it saw against the spec.
 */
export class ApiClient {
  private constructor(
    private readonly vtn: LocalVtn,
    readonly exchanges: Exchange[],
    private readonly authorization: string | undefined,
  ) {}

  /** `options.mqttPort` (0: a free port) also starts the MQTT broker. */
  static async start(options: Partial<LocalVtnOptions> = {}): Promise<ApiClient> {
    const vtn = await startLocalVtn({ host: '127.0.0.1', port: 0, dataDir: 'memory', tableName: 'vtn-e2e', clients: TEST_CLIENTS, ...options });
    return new ApiClient(vtn, [], undefined).as('bl-1');
  }

  get baseUrl(): string {
    return this.vtn.url;
  }

  /** The embedded MQTT broker's URI, when one runs. */
  get mqttUri(): string | undefined {
    return this.vtn.mqttUri;
  }

  /** The access token this client sends. */
  get accessToken(): string | undefined {
    return this.authorization?.replace(/^Bearer /, '');
  }

  /** The same VTN as one of TEST_CLIENTS, with a token for `scope` (all of the client's when omitted). */
  async as(clientID: string, scope?: string): Promise<ApiClient> {
    const client = TEST_CLIENTS.find((candidate) => candidate.clientID === clientID);
    const form = { grant_type: 'client_credentials', client_id: clientID, client_secret: client?.clientSecret ?? '', ...(scope === undefined ? {} : { scope }) };
    const { status, body } = await this.token(form);
    if (status !== 200) throw new Error(`no token for ${clientID}: ${status} ${JSON.stringify(body)}`);
    return this.withAuthorization(`Bearer ${body.access_token}`);
  }

  /** The same VTN, sending this Authorization header (or none). */
  withAuthorization(authorization: string | undefined): ApiClient {
    return new ApiClient(this.vtn, this.exchanges, authorization);
  }

  anonymous(): ApiClient {
    return this.withAuthorization(undefined);
  }

  /** POST /auth/token with these form fields. */
  token(form: Record<string, string>, headers: Record<string, string> = {}): Promise<ApiResponse> {
    return this.request('POST', '/auth/token', { body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: '', ...headers } });
  }

  get = (path: string) => this.request('GET', path);
  post = (path: string, body: unknown) => this.request('POST', path, { body: JSON.stringify(body) });
  put = (path: string, body: unknown) => this.request('PUT', path, { body: JSON.stringify(body) });
  delete = (path: string) => this.request('DELETE', path);

  async request(method: string, path: string, options: { body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
    const url = `${this.vtn.url}${path}`;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(this.authorization ? { authorization: this.authorization } : {}), ...options.headers };
    // An empty value stands for "no such header".
    for (const [name, value] of Object.entries(headers)) if (value === '') delete headers[name];
    const response = await fetch(url, { method, body: options.body, headers });
    const text = await response.text();
    // The documentation page and its files are text; everything else answers JSON.
    const json = /json/.test(response.headers.get('content-type') ?? 'application/json');
    const body = text && json ? JSON.parse(text) : text || undefined;
    this.exchanges.push({ method, url, status: response.status, body });
    return { status: response.status, headers: response.headers, body };
  }

  async close(): Promise<void> {
    await this.vtn.close();
  }
}

/**
 * Registers a test that checks every response the file's client saw against the response schema
 * the spec gives for its operation and status. Register it last in the file.
 */
export function itAnswersAsTheSpecSays(client: () => ApiClient): void {
  if (!specAvailable()) {
    test.skip(`every response matches the spec's schemas (skipped: the spec is not at ${SPEC_PATH})`, () => undefined);
    return;
  }
  test("every response matches the spec's response schemas", () => {
    const validator = new SpecValidator();
    const exchanges = client().exchanges;
    expect(exchanges.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const { method, url, status, body } of exchanges) {
      const path = new URL(url).pathname;
      const template = matchRoute(path)?.path;
      // The key set is an extension: the spec has no schema for it.
      if (template && status < 400 && !validator.defines(method, template)) continue;
      const errors = template ? validator.errors(method, template, status, body) : validator.problemErrors(body);
      if (errors.length > 0) failures.push(`${method} ${path.replace(BASE_PATH, '')} ${status}: ${errors.join('; ')}`);
    }
    expect(failures).toEqual([]);
  });
}
