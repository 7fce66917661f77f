/**
 * Business metrics in CloudWatch embedded metric format (EMF): counts gathered during one
 * invocation and written at its end as JSON lines on stdout, from which CloudWatch Logs makes
 * metrics. No SDK, no API call, nothing to wait for; written with process.stdout.write, as the
 * logger does, because Lambda's JSON log format wraps console output and the metrics would be lost.
 */

import { DEFAULT_METRICS_NAMESPACE, DEFAULT_METRICS_SERVICE, readConfig, type MetricsConfig } from './config';

/** The dimension every metric carries: which stack (stage) it comes from. */
export const SERVICE_DIMENSION = 'Service';

/**
 * Every metric, and the dimension sets it is published under, each with Service in front. Each
 * distinct combination of a metric and its dimension values is a custom metric CloudWatch bills,
 * so every dimension here has a bounded set of values (route templates, never raw paths, never a
 * client id, token or URL).
 */
export const METRICS = {
  // Totals by status class (3 metrics), and per route and method (one per route table entry).
  Requests: [['StatusClass'], ['Route', 'Method']],
  // Attempts that got a 2xx, attempts that did not, and deliveries out of attempts.
  WebhookDelivered: [[]],
  WebhookFailed: [[]],
  WebhookGivenUp: [[]],
  TokensIssued: [[]],
  // In all, and by the OAuth error code (four values).
  TokensRefused: [[], ['Reason']],
} as const satisfies Record<string, readonly (readonly string[])[]>;

export type MetricName = keyof typeof METRICS;
export type DimensionsOf<N extends MetricName> = Record<(typeof METRICS)[N][number][number], string>;

/** The unit of every metric here. */
export const METRIC_UNIT = 'Count';

/** EMF allows 100 metrics per directive; a line here holds at most that many in all. (Its other limit, 30 dimensions per set, is far off.) */
const MAX_METRICS_PER_LINE = 100;

/** A metric's dimension sets as EMF names them, Service first. */
export function dimensionSetsOf(name: MetricName): string[][] {
  return METRICS[name].map((set) => [SERVICE_DIMENSION, ...set]);
}

interface Count {
  name: MetricName;
  dimensions: Record<string, string>;
  value: number;
}

/** One EMF line: the `_aws` envelope and, at the top level, dimension values and metric values. */
export interface EmfLine {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

export class Metrics {
  private readonly counts = new Map<string, Count>();

  constructor(
    private readonly settings: MetricsConfig,
    private readonly write: (line: string) => void = (line) => process.stdout.write(line),
  ) {}

  /** Metrics that count nothing and write nothing (tests, the benchmark). */
  static off(): Metrics {
    return new Metrics({ enabled: false, namespace: DEFAULT_METRICS_NAMESPACE, service: DEFAULT_METRICS_SERVICE });
  }

  /** Adds to a count, by its dimensions; a no-op when metrics are off. */
  count<N extends MetricName>(name: N, dimensions: DimensionsOf<N>, value = 1): void {
    if (!this.settings.enabled) return;
    const values = dimensions as Record<string, string>;
    const key = JSON.stringify([name, ...METRICS[name].flat().map((dimension) => values[dimension])]);
    const count = this.counts.get(key);
    if (count) count.value += value;
    else this.counts.set(key, { name, dimensions: { ...values, [SERVICE_DIMENSION]: this.settings.service }, value });
  }

  /** Writes what was counted since the last flush (one line unless dimension values differ) and starts afresh. */
  flush(timestamp = Date.now()): void {
    if (this.counts.size === 0) return;
    for (const line of emfLines([...this.counts.values()], this.settings.namespace, timestamp)) this.write(`${JSON.stringify(line)}\n`);
    this.counts.clear();
  }
}

/**
 * Packs counts into as few lines as EMF allows: a line holds one value per top-level key, so two
 * counts go to separate lines only when they give the same dimension (or metric) different values.
 */
function emfLines(counts: Count[], namespace: string, timestamp: number): EmfLine[] {
  const lines: { values: Record<string, string | number>; directives: Map<string, { Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }>; metrics: number }[] = [];
  for (const { name, dimensions, value } of counts) {
    const fits = (line: (typeof lines)[number]) =>
      line.metrics < MAX_METRICS_PER_LINE && !(name in line.values) && Object.entries(dimensions).every(([key, given]) => !(key in line.values) || line.values[key] === given);
    let line = lines.find(fits);
    if (!line) {
      line = { values: {}, directives: new Map(), metrics: 0 };
      lines.push(line);
    }
    Object.assign(line.values, dimensions, { [name]: value });
    line.metrics++;
    const Dimensions = dimensionSetsOf(name);
    const shape = JSON.stringify(Dimensions);
    const directive = line.directives.get(shape) ?? { Dimensions, Metrics: [] };
    directive.Metrics.push({ Name: name, Unit: METRIC_UNIT });
    line.directives.set(shape, directive);
  }
  return lines.map(({ values, directives }) => ({
    _aws: { Timestamp: timestamp, CloudWatchMetrics: [...directives.values()].map((directive) => ({ Namespace: namespace, ...directive })) },
    ...values,
  }));
}

let current: Metrics | undefined;

/** This instance's metrics, as VTN_METRICS and its companions set them. */
export function metrics(): Metrics {
  current ??= new Metrics(readConfig().metrics);
  return current;
}

export function resetMetrics(): void {
  current = undefined;
}
