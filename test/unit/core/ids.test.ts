import { newObjectId } from '../../../lambdas/core/ids';

describe('newObjectId', () => {
  it('is a UUIDv7 that fits the spec objectID pattern', () => {
    const id = newObjectId();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(id).toMatch(/^[a-zA-Z0-9_-]{1,128}$/);
  });

  it('sorts in creation order, within one millisecond too', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => newObjectId(1_700_000_000_000 + Math.floor(i / 1000)));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
