import { Logger } from '../../../lambdas/core/logger';

describe('a log entry whose fields cannot be written as JSON', () => {
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  const unreadable = new Error('unreadable');
  Object.defineProperty(unreadable, 'stack', {
    get() {
      throw new Error('no stack here');
    },
  });

  test.each([
    ['a cycle', { value: cyclic }],
    ['a BigInt', { epochNanoseconds: 1n }],
    ['an error whose stack cannot be read', { error: unreadable }],
  ])('(%s) is written without them, saying so, and logging does not fail', (_kind, fields) => {
    const lines: string[] = [];
    const logger = new Logger('error', { requestId: 'req-1' }, (line) => lines.push(line));
    expect(() => logger.error('unexpected failure', fields)).not.toThrow();
    expect(lines).toHaveLength(1);
    expect(lines[0].endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0])).toEqual({ timestamp: expect.any(String), level: 'error', message: 'unexpected failure', requestId: 'req-1', unloggable: 'its fields could not be written as JSON' });
  });
});
