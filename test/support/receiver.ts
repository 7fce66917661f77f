import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
  at: number;
}

/** How the receiver answers the n-th request on a path (0-based); default 200. */
export type Behaviour = (path: string, attempt: number) => number | 'hang';

/** A webhook receiver on loopback that records what it is sent. */
export class Receiver {
  readonly received: Received[] = [];
  private readonly attempts = new Map<string, number>();
  private readonly hanging = new Set<() => void>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(behaviour: Behaviour = () => 200): Promise<Receiver> {
    let receiver: Receiver | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        const attempt = receiver!.attempts.get(path) ?? 0;
        receiver!.attempts.set(path, attempt + 1);
        const text = Buffer.concat(chunks).toString('utf8');
        receiver!.received.push({ path, headers: request.headers, body: text ? JSON.parse(text) : undefined, at: Date.now() });
        const answer = behaviour(path, attempt);
        if (answer === 'hang') {
          const release = () => response.destroy();
          receiver!.hanging.add(release);
          return;
        }
        response.writeHead(answer).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new Receiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return receiver;
  }

  on(path: string): Received[] {
    return this.received.filter((request) => request.path === path);
  }

  /** Waits until `count` requests reached `path`, or fails after `timeoutMs`. */
  async waitFor(path: string, count: number, timeoutMs = 5000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.on(path).length < count) {
      if (Date.now() > deadline) throw new Error(`${path} received ${this.on(path).length} of ${count} requests in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.on(path);
  }

  async close(): Promise<void> {
    for (const release of this.hanging) release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
