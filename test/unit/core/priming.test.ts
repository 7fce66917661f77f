import { primeDuringInit } from '../../../lambdas/core/priming';

describe('primeDuringInit', () => {
  const saved = process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
  afterEach(() => {
    if (saved === undefined) delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    else process.env.AWS_LAMBDA_INITIALIZATION_TYPE = saved;
  });
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('starts nothing outside a Lambda init (tests, the local VTN)', async () => {
    delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    const work = jest.fn(async () => undefined);
    primeDuringInit(work);
    await settle();
    expect(work).not.toHaveBeenCalled();
  });

  it('starts each step during a Lambda init, and a step that fails neither throws nor leaves an unhandled rejection', async () => {
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const ok = jest.fn(async () => undefined);
      const failing = jest.fn(async () => {
        throw new Error('no table');
      });
      const throwing = jest.fn(() => {
        throw new Error('bad setting');
      });
      expect(() => primeDuringInit(failing, throwing as never, ok)).not.toThrow();
      await settle();
      expect([failing, throwing, ok].map((step) => step.mock.calls.length)).toEqual([1, 1, 1]);
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});
