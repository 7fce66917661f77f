import { readConfig } from '../../../lambdas/core/config';
import { METRICS, Metrics, metrics, resetMetrics, type MetricName } from '../../../lambdas/core/metrics';
import { readEmf } from '../../support/emf';

function metricsWriting(lines: string[], settings = { enabled: true, namespace: 'Test/VTN', service: 'OpenAdr3Vtn-test' }) {
  return new Metrics(settings, (line) => lines.push(line));
}

describe('EMF lines', () => {
  test('each metric, with its unit, namespace, dimension sets and value, in one line per flush', () => {
    const lines: string[] = [];
    const counter = metricsWriting(lines);
    counter.count('Requests', { Route: '/events/{eventID}', Method: 'GET', StatusClass: '2xx' });
    counter.count('WebhookDelivered', {}, 3);
    counter.count('WebhookFailed', {}, 2);
    counter.count('WebhookGivenUp', {});
    counter.count('TokensIssued', {});
    counter.count('TokensRefused', { Reason: 'invalid_client' });
    counter.flush(1_764_000_000_000);

    expect(lines).toHaveLength(1);
    const data = readEmf(lines);
    const service = { Service: 'OpenAdr3Vtn-test' };
    expect(data.map(({ timestamp, ...datum }) => (expect(timestamp).toBe(1_764_000_000_000), datum))).toEqual([
      {
        namespace: 'Test/VTN',
        name: 'Requests',
        unit: 'Count',
        value: 1,
        dimensionSets: [['Service', 'StatusClass'], ['Service', 'Route', 'Method']],
        dimensions: { ...service, StatusClass: '2xx', Route: '/events/{eventID}', Method: 'GET' },
      },
      { namespace: 'Test/VTN', name: 'WebhookDelivered', unit: 'Count', value: 3, dimensionSets: [['Service']], dimensions: service },
      { namespace: 'Test/VTN', name: 'WebhookFailed', unit: 'Count', value: 2, dimensionSets: [['Service']], dimensions: service },
      { namespace: 'Test/VTN', name: 'WebhookGivenUp', unit: 'Count', value: 1, dimensionSets: [['Service']], dimensions: service },
      { namespace: 'Test/VTN', name: 'TokensIssued', unit: 'Count', value: 1, dimensionSets: [['Service']], dimensions: service },
      { namespace: 'Test/VTN', name: 'TokensRefused', unit: 'Count', value: 1, dimensionSets: [['Service'], ['Service', 'Reason']], dimensions: { ...service, Reason: 'invalid_client' } },
    ]);
    // Metrics of the same dimension sets share a directive.
    expect(JSON.parse(lines[0])._aws.CloudWatchMetrics).toHaveLength(3);
  });

  test('counts with the same dimensions add up; different values of one dimension go to separate lines', () => {
    const lines: string[] = [];
    const counter = metricsWriting(lines);
    for (let i = 0; i < 3; i++) counter.count('Requests', { Route: '/programs', Method: 'GET', StatusClass: '2xx' });
    counter.count('Requests', { Route: '/programs', Method: 'POST', StatusClass: '4xx' });
    counter.count('TokensRefused', { Reason: 'invalid_client' });
    counter.count('TokensRefused', { Reason: 'invalid_client' });
    counter.count('TokensRefused', { Reason: 'invalid_scope' });
    counter.flush();

    expect(lines).toHaveLength(2);
    const data = readEmf(lines);
    const of = (name: MetricName) => data.filter((datum) => datum.name === name).map(({ dimensions, value }) => ({ dimensions, value }));
    expect(of('Requests')).toEqual([
      { dimensions: { Service: 'OpenAdr3Vtn-test', Route: '/programs', Method: 'GET', StatusClass: '2xx' }, value: 3 },
      { dimensions: { Service: 'OpenAdr3Vtn-test', Route: '/programs', Method: 'POST', StatusClass: '4xx' }, value: 1 },
    ]);
    expect(of('TokensRefused')).toEqual([
      { dimensions: { Service: 'OpenAdr3Vtn-test', Reason: 'invalid_client' }, value: 2 },
      { dimensions: { Service: 'OpenAdr3Vtn-test', Reason: 'invalid_scope' }, value: 1 },
    ]);
  });

  test('a flush writes what was counted since the last one; nothing counted, nothing written', () => {
    const lines: string[] = [];
    const counter = metricsWriting(lines);
    counter.flush();
    expect(lines).toEqual([]);
    counter.count('TokensIssued', {});
    counter.flush();
    counter.flush();
    counter.count('TokensIssued', {});
    counter.flush();
    expect(readEmf(lines).map((datum) => datum.value)).toEqual([1, 1]);
  });

  test('off: nothing is counted or written', () => {
    const lines: string[] = [];
    const counter = metricsWriting(lines, { enabled: false, namespace: 'Test/VTN', service: 'x' });
    counter.count('TokensIssued', {});
    counter.flush();
    expect(lines).toEqual([]);
  });

  test('every declared dimension set is within EMF limits and names Service first', () => {
    for (const name of Object.keys(METRICS) as MetricName[]) {
      for (const set of METRICS[name]) {
        expect(set.length + 1).toBeLessThanOrEqual(30);
        expect(set).not.toContain('Service');
      }
    }
  });
});

describe('settings', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    resetMetrics();
  });

  test('off by default, so that the local VTN writes none; on, namespace and service from the environment', () => {
    expect(readConfig({}).metrics).toEqual({ enabled: false, namespace: 'OpenADR3VTN', service: 'openadr3-vtn' });
    expect(readConfig({ VTN_METRICS: 'on', VTN_METRICS_NAMESPACE: 'Utility/VTN', VTN_METRICS_SERVICE: 'OpenAdr3Vtn-prod' }).metrics).toEqual({
      enabled: true,
      namespace: 'Utility/VTN',
      service: 'OpenAdr3Vtn-prod',
    });
  });

  test('bad values fail, naming the setting', () => {
    expect(() => readConfig({ VTN_METRICS: 'yes' })).toThrow(/VTN_METRICS must be on or off/);
    expect(() => readConfig({ VTN_METRICS_NAMESPACE: 'AWS/Lambda' })).toThrow(/VTN_METRICS_NAMESPACE/);
    expect(() => readConfig({ VTN_METRICS_NAMESPACE: 'a'.repeat(256) })).toThrow(/VTN_METRICS_NAMESPACE/);
    expect(() => readConfig({ VTN_METRICS_NAMESPACE: 'bad\nname' })).toThrow(/VTN_METRICS_NAMESPACE/);
    expect(() => readConfig({ VTN_METRICS_SERVICE: 'two words' })).toThrow(/VTN_METRICS_SERVICE/);
  });

  test("the instance's metrics follow the environment, once, until reset", () => {
    const written: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((line) => (written.push(String(line)), true));
    try {
      process.env.VTN_METRICS = 'on';
      process.env.VTN_METRICS_SERVICE = 'OpenAdr3Vtn-dev';
      resetMetrics();
      metrics().count('TokensIssued', {});
      metrics().flush();
      process.env.VTN_METRICS = 'off';
      resetMetrics();
      metrics().count('TokensIssued', {});
      metrics().flush();
    } finally {
      stdout.mockRestore();
    }
    expect(readEmf(written)).toEqual([expect.objectContaining({ namespace: 'OpenADR3VTN', name: 'TokensIssued', dimensions: { Service: 'OpenAdr3Vtn-dev' }, value: 1 })]);
  });
});
