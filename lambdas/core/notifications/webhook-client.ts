import { randomUUID } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { DependencyUnavailableError } from '../errors';
import { isForbiddenAddress } from './address-policy';
import { ConcurrencyLimit } from './concurrency-limit';

export interface WebhookOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  /** Deliveries in flight at once; also the most sockets per host, and idle sockets in all. */
  concurrency: number;
  /** DNS resolution; replaceable in tests. */
  resolve?: (host: string) => Promise<LookupAddress[]>;
}

/** `refused`: trying again cannot help. `deferred`: not tried, for want of time. */
export type DeliveryResult = { ok: true; status: number } | { ok: false; status?: number; error: string; refused?: boolean; deferred?: boolean };

/** A delivery that waited for its turn past its start-by time: deferred, untried. */
export const NO_TIME_LEFT: DeliveryResult = { ok: false, error: 'no time left to try it', deferred: true };

const MAX_RESPONSE_BYTES = 64 * 1024;
/** How long an idle connection is kept for the next delivery: below the 5 s node servers allow. */
const IDLE_SOCKET_MS = 4_000;

function withinTime<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const systemResolve = (host: string) =>
  new Promise<LookupAddress[]>((resolve, reject) =>
    dnsLookup(host, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );

/**
 * POSTs JSON notifications, and GETs the echo challenge of new callbacks: at most `concurrency` at once per client (one client per instance),
 * so a burst of deliveries cannot run the process out of file descriptors; the others wait for
 * a slot, which a slow callback holds for at most the timeout. Connections are kept alive for
 * the next delivery to the same host. Connects only to addresses that passed the address policy
 * after resolution, which every delivery does again: a new connection uses the very address
 * that was checked (so a second DNS answer cannot slip a private one in), and a kept one was
 * opened that way for the same host. Follows no redirects; success is a 2xx answer. Plain http
 * only with `allowPrivate`, the development switch.
 */
export class WebhookClient {
  private readonly slots: ConcurrencyLimit;
  private readonly agents: Record<'http:' | 'https:', HttpAgent>;

  constructor(private readonly options: WebhookOptions) {
    this.slots = new ConcurrencyLimit(options.concurrency);
    const settings = { keepAlive: true, maxSockets: options.concurrency, timeout: IDLE_SOCKET_MS };
    this.agents = { 'http:': new HttpAgent(settings), 'https:': new HttpsAgent(settings) };
    // Many hosts must not pile up idle sockets either: past the cap, a finished one is closed.
    for (const agent of Object.values(this.agents)) {
      const keepAlive = agent.keepSocketAlive.bind(agent);
      agent.keepSocketAlive = (socket) => this.idleSockets() < options.concurrency && keepAlive(socket);
    }
  }

  /**
   * Delivers when a slot is free. One that had to wait for its slot past `startBy` (epoch ms) is
   * deferred untried; one that found a slot free is always tried, so every call makes progress.
   */
  post(url: string, body: unknown, bearerToken: string | null | undefined, startBy = Infinity): Promise<DeliveryResult> {
    return this.slots.run(async (waited) => {
      if (waited && Date.now() > startBy) return NO_TIME_LEFT;
      const payload = Buffer.from(JSON.stringify(body));
      const headers = {
        'content-type': 'application/json',
        'content-length': payload.length,
        ...(bearerToken ? { authorization: `Bearer ${bearerToken}` } : {}),
      };
      const { answer, ...result } = await this.send(url, 'POST', headers, payload, this.options.timeoutMs);
      return result;
    });
  }

  /**
   * The echo challenge (Definition.md "Webhooks"): GET `url` with `echo=<random value>` added to
   * its query; it must answer 200 with exactly that value as its body (white space around it
   * aside), within `timeoutMs` (the delivery timeout by default), from an address the policy
   * allows, without a redirect. Answers why it failed, or undefined when it passed.
   */
  /**
   * `timeoutMs` is asked when the check gets its slot, which may be after others' checks and
   * deliveries: a check left no time is a DependencyUnavailableError (503, retry), not the callback's fault.
   */
  async verify(url: string, timeoutMs: () => number = () => this.options.timeoutMs): Promise<string | undefined> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return 'is not a URL';
    }
    const challenge = randomUUID();
    target.searchParams.append('echo', challenge);
    // A one-off: its connection is not kept for later.
    const result = await this.slots.run(() => {
      const left = timeoutMs();
      if (left < 1) throw new DependencyUnavailableError('the callback URLs could not be checked within the request\'s time; retry');
      return this.send(target.href, 'GET', { connection: 'close' }, undefined, left);
    });
    if (!result.ok && result.status === undefined) return `did not answer the echo challenge: ${result.error}`;
    if (result.status !== 200) return `answered the echo challenge with ${result.status}, not 200`;
    if (result.answer?.trim() !== challenge) return 'did not answer the echo challenge with the value it was sent';
    return undefined;
  }

  /** Closes kept connections (tests, benchmark). */
  close(): void {
    for (const agent of Object.values(this.agents)) agent.destroy();
  }

  private idleSockets(): number {
    let count = 0;
    for (const agent of Object.values(this.agents)) for (const sockets of Object.values(agent.freeSockets)) count += sockets?.length ?? 0;
    return count;
  }

  private async send(
    url: string,
    method: 'GET' | 'POST',
    headers: Record<string, string | number>,
    payload: Buffer | undefined,
    timeoutMs: number,
  ): Promise<DeliveryResult & { answer?: string }> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return { ok: false, error: 'invalid URL', refused: true };
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') return { ok: false, error: `scheme ${target.protocol} refused`, refused: true };
    // Callbacks written before https was required: plain http only with the development switch.
    if (target.protocol === 'http:' && !this.options.allowPrivate) return { ok: false, error: 'http refused: callbacks must be https', refused: true };

    const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
    // One time budget for resolving and for the request: a slow resolver must not stretch it.
    const deadline = Date.now() + timeoutMs;
    let addresses: LookupAddress[];
    try {
      addresses = await withinTime((this.options.resolve ?? systemResolve)(host), timeoutMs);
    } catch (error) {
      return { ok: false, error: `cannot resolve ${host}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
    }
    const allowed = this.options.allowPrivate ? addresses : addresses.filter((address) => !isForbiddenAddress(address.address));
    if (allowed.length === 0) {
      return { ok: false, error: `${host} resolves to a loopback, private, link-local or reserved address`, refused: true };
    }
    const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
      if (lookupOptions.all) callback(null, allowed);
      else callback(null, allowed[0].address, allowed[0].family);
    };

    const requestOptions: RequestOptions = {
      method,
      lookup: pinned,
      agent: this.agents[target.protocol],
      headers: { 'user-agent': 'openadr3-vtn-webhooks', ...headers },
    };
    return this.request(target, requestOptions, payload, deadline, timeoutMs);
  }

  private request(
    target: URL,
    options: RequestOptions,
    payload: Buffer | undefined,
    deadline: number,
    timeoutMs: number,
  ): Promise<DeliveryResult & { answer?: string }> {
    return new Promise((resolve) => {
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      let request: ClientRequest;
      try {
        request = send(target, { ...options, signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())) }, (response) => {
          const chunks: Buffer[] = [];
          let received = 0;
          // Read (a little of) the answer so the socket is released; only a challenge reads its content.
          response.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received > MAX_RESPONSE_BYTES) response.destroy();
            else chunks.push(chunk);
          });
          response.on('close', () => {
            const status = response.statusCode ?? 0;
            const answer = Buffer.concat(chunks).toString('utf8');
            resolve(status >= 200 && status < 300 ? { ok: true, status, answer } : { ok: false, status, error: `answered ${status}` });
          });
        });
      } catch (error) {
        // A header the token makes invalid, say: no later attempt can send it either.
        resolve({ ok: false, error: (error as Error).message, refused: true });
        return;
      }
      request.on('error', (error: NodeJS.ErrnoException) => {
        // A kept connection the callback had closed meanwhile: once more, on a new connection.
        if (request.reusedSocket && error.code === 'ECONNRESET') {
          resolve(this.request(target, { ...options, agent: false }, payload, deadline, timeoutMs));
          return;
        }
        const timedOut = error.name === 'AbortError' || error.name === 'TimeoutError';
        resolve({ ok: false, error: timedOut ? `no answer within ${timeoutMs} ms` : error.message });
      });
      request.end(payload);
    });
  }
}
