import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isForbiddenAddress } from './address-policy';

export interface WebhookOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  /** DNS resolution; replaceable in tests. */
  resolve?: (host: string) => Promise<LookupAddress[]>;
}

export type DeliveryResult = { ok: true; status: number } | { ok: false; status?: number; error: string; refused?: boolean };

const MAX_RESPONSE_BYTES = 64 * 1024;

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
 * POSTs one JSON notification. Connects only to addresses that passed the address policy after
 * resolution (the connection uses the very address that was checked, so a second DNS answer
 * cannot slip a private one in), follows no redirects, and gives up after the timeout.
 * Success is a 2xx answer.
 */
export async function postWebhook(url: string, body: unknown, bearerToken: string | null | undefined, options: WebhookOptions): Promise<DeliveryResult> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { ok: false, error: 'invalid URL', refused: true };
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return { ok: false, error: `scheme ${target.protocol} refused`, refused: true };

  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  // One time budget for resolving and for the request: a slow resolver must not stretch it.
  const deadline = Date.now() + options.timeoutMs;
  let addresses: LookupAddress[];
  try {
    addresses = await withinTime((options.resolve ?? systemResolve)(host), options.timeoutMs);
  } catch (error) {
    return { ok: false, error: `cannot resolve ${host}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
  const allowed = options.allowPrivate ? addresses : addresses.filter((address) => !isForbiddenAddress(address.address));
  if (allowed.length === 0) {
    return { ok: false, error: `${host} resolves to a loopback, private, link-local or reserved address`, refused: true };
  }
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, allowed);
    else callback(null, allowed[0].address, allowed[0].family);
  };

  const payload = Buffer.from(JSON.stringify(body));
  const requestOptions: RequestOptions = {
    method: 'POST',
    lookup: pinned,
    headers: {
      'content-type': 'application/json',
      'content-length': payload.length,
      'user-agent': 'openadr3-vtn-webhooks',
      ...(bearerToken ? { authorization: `Bearer ${bearerToken}` } : {}),
    },
    signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
  };
  return new Promise<DeliveryResult>((resolve) => {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(target, requestOptions, (response) => {
      let received = 0;
      // Drain (a little of) the answer so the socket is released; its content does not matter.
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_RESPONSE_BYTES) response.destroy();
      });
      response.on('close', () => {
        const status = response.statusCode ?? 0;
        resolve(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, error: `answered ${status}` });
      });
    });
    request.on('error', (error) => {
      const timedOut = error.name === 'AbortError' || error.name === 'TimeoutError';
      resolve({ ok: false, error: timedOut ? `no answer within ${options.timeoutMs} ms` : error.message });
    });
    request.end(payload);
  });
}
