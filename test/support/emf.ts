/** One metric value read back from an EMF line, with the dimension sets it is published under. */
export interface EmfDatum {
  namespace: string;
  name: string;
  unit: string;
  value: unknown;
  dimensionSets: string[][];
  /** The values of the dimensions its sets name. */
  dimensions: Record<string, unknown>;
  timestamp: number;
}

/**
 * Reads the metrics of EMF lines, checking each line against the specification as it goes: a
 * JSON object with `_aws.Timestamp` (epoch milliseconds) and `CloudWatchMetrics` directives of
 * Namespace, Dimensions (sets of at most 30 top-level string values) and Metrics (at most 100,
 * each a Name with a Unit, each a top-level number). Lines without `_aws` (plain logs) are skipped.
 */
export function readEmf(lines: string[]): EmfDatum[] {
  const data: EmfDatum[] = [];
  for (const line of lines) {
    expect(line.endsWith('\n')).toBe(true);
    expect(line.trimEnd()).not.toContain('\n');
    const entry = JSON.parse(line);
    if (!('_aws' in entry)) continue;
    const { Timestamp, CloudWatchMetrics, ...rest } = entry._aws;
    expect(rest).toEqual({});
    expect(Number.isInteger(Timestamp) && Timestamp > 1_600_000_000_000).toBe(true);
    expect(Array.isArray(CloudWatchMetrics) && CloudWatchMetrics.length > 0).toBe(true);
    let metricsInLine = 0;
    for (const directive of CloudWatchMetrics) {
      expect(Object.keys(directive).sort()).toEqual(['Dimensions', 'Metrics', 'Namespace']);
      expect(typeof directive.Namespace).toBe('string');
      for (const set of directive.Dimensions) {
        expect(set.length).toBeLessThanOrEqual(30);
        for (const dimension of set) expect(typeof entry[dimension]).toBe('string');
      }
      expect(directive.Metrics.length).toBeGreaterThan(0);
      expect(directive.Metrics.length).toBeLessThanOrEqual(100);
      metricsInLine += directive.Metrics.length;
      for (const metric of directive.Metrics) {
        expect(Object.keys(metric).sort()).toEqual(['Name', 'Unit']);
        expect(typeof entry[metric.Name]).toBe('number');
        const names = new Set<string>(directive.Dimensions.flat());
        data.push({
          namespace: directive.Namespace,
          name: metric.Name,
          unit: metric.Unit,
          value: entry[metric.Name],
          dimensionSets: directive.Dimensions,
          dimensions: Object.fromEntries([...names].map((name) => [name, entry[name]])),
          timestamp: Timestamp,
        });
      }
    }
    expect(metricsInLine).toBeLessThanOrEqual(100);
  }
  return data;
}
