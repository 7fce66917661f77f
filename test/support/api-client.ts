import { BASE_PATH, matchRoute } from '../../lambdas/routes';
import { startLocalVtn, type LocalVtn } from '../../local/vtn';
import { SPEC_PATH, SpecValidator, specAvailable } from './spec';

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
 * A client for a local VTN started on a free port with an in-memory database. It remembers
 * every exchange so that a file can check all responses it saw against the spec.
 */
export class ApiClient {
  readonly exchanges: Exchange[] = [];

  private constructor(private readonly vtn: LocalVtn) {}

  static async start(): Promise<ApiClient> {
    return new ApiClient(await startLocalVtn({ host: '127.0.0.1', port: 0, dataDir: 'memory', tableName: 'vtn-e2e' }));
  }

  get baseUrl(): string {
    return this.vtn.url;
  }

  get = (path: string) => this.request('GET', path);
  post = (path: string, body: unknown) => this.request('POST', path, { body: JSON.stringify(body) });
  put = (path: string, body: unknown) => this.request('PUT', path, { body: JSON.stringify(body) });
  delete = (path: string) => this.request('DELETE', path);

  async request(method: string, path: string, options: { body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
    const url = `${this.vtn.url}${path}`;
    const response = await fetch(url, {
      method,
      body: options.body,
      headers: { 'content-type': 'application/json', ...options.headers },
    });
    const text = await response.text();
    const body = text ? JSON.parse(text) : undefined;
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
      const errors = template ? validator.errors(method, template, status, body) : validator.problemErrors(body);
      if (errors.length > 0) failures.push(`${method} ${path.replace(BASE_PATH, '')} ${status}: ${errors.join('; ')}`);
    }
    expect(failures).toEqual([]);
  });
}
