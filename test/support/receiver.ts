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

/** How the receiver answers an echo challenge on a path: as it should, or one of the ways to fail it. */
export type EchoAnswer = 'echo' | 'wrong' | 'empty' | 'redirect' | 'hang';

export interface ReceiverOptions {
  /** Answer this long after a request arrives. */
  answerAfterMs?: number;
  /** How echo challenges are answered; by default with the value sent. */
  echo?: (path: string) => EchoAnswer;
}

/** An echo challenge the receiver was sent: the path without its `echo` parameter. */
export interface Challenge {
  path: string;
  value: string;
  at: number;
}

/**
 * A webhook receiver on loopback that records what it is sent, and how much it had at once. It
 * answers echo challenges (a GET with `echo`) as `options.echo` says, apart from the notifications.
 */
export class Receiver {
  readonly received: Received[] = [];
  /** Echo challenges, kept apart from the notifications in `received`. */
  readonly challenges: Challenge[] = [];
  /** Requests being answered, connections open: now and at most. */
  readonly load = { requests: 0, maxRequests: 0, connections: 0, maxConnections: 0, totalConnections: 0 };
  private readonly attempts = new Map<string, number>();
  private readonly hanging = new Set<() => void>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(behaviour: Behaviour = () => 200, options: ReceiverOptions = {}): Promise<Receiver> {
    let receiver: Receiver | undefined;
    const server = createServer((request, response) => {
      const load = receiver!.load;
      load.maxRequests = Math.max(load.maxRequests, ++load.requests);
      response.on('close', () => load.requests--);
      const target = new URL(request.url ?? '/', 'http://receiver');
      const value = target.searchParams.get('echo');
      if (request.method === 'GET' && value !== null) {
        target.searchParams.delete('echo');
        const path = `${target.pathname}${target.search}`;
        receiver!.challenges.push({ path, value, at: Date.now() });
        const answer = options.echo?.(path) ?? 'echo';
        if (answer === 'hang') {
          receiver!.hanging.add(() => response.destroy());
          return;
        }
        if (answer === 'redirect') response.writeHead(302, { location: `${request.url}&redirected=1` }).end();
        else response.writeHead(200, { 'content-type': 'text/plain' }).end(answer === 'echo' ? value : answer === 'wrong' ? `not-${value}` : '');
        return;
      }
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        const path = request.url ?? '/';
        const attempt = receiver!.attempts.get(path) ?? 0;
        receiver!.attempts.set(path, attempt + 1);
        const text = Buffer.concat(chunks).toString('utf8');
        receiver!.received.push({ path, headers: request.headers, body: text ? JSON.parse(text) : undefined, at: Date.now() });
        if (options.answerAfterMs) await new Promise((resolve) => setTimeout(resolve, options.answerAfterMs));
        const answer = behaviour(path, attempt);
        if (answer === 'hang') {
          const release = () => response.destroy();
          receiver!.hanging.add(release);
          return;
        }
        response.writeHead(answer).end();
      });
    });
    server.on('connection', (socket) => {
      const load = receiver!.load;
      load.totalConnections++;
      load.maxConnections = Math.max(load.maxConnections, ++load.connections);
      socket.on('close', () => load.connections--);
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
