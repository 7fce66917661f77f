import { TtlCache } from '../../../../lambdas/core/storage/dynamo/cache';

describe('TtlCache', () => {
  let now = 0;
  const cache = (maxBytes: number, maxEntries = 1000) => new TtlCache<string>(60_000, () => now, maxEntries, maxBytes);

  it('evicts the oldest entries once their bytes pass the budget', () => {
    const pages = cache(1000);
    for (const key of ['a', 'b', 'c']) pages.set(key, key, pages.generation, { bytes: 400 });
    expect(pages.get('a')).toBeUndefined();
    expect([pages.get('b'), pages.get('c')]).toEqual(['b', 'c']);
    expect(pages.bytes).toBe(800);
  });

  it('does not cache a value larger than the whole budget, and keeps what it had', () => {
    const pages = cache(1000);
    pages.set('small', 'small', pages.generation, { bytes: 100 });
    pages.set('huge', 'huge', pages.generation, { bytes: 1001 });
    expect(pages.get('huge')).toBeUndefined();
    expect(pages.get('small')).toBe('small');
    expect(pages.bytes).toBe(100);
  });

  it('counts a replaced, expired or cleared entry out of the budget', () => {
    const pages = cache(1000);
    pages.set('a', 'a', pages.generation, { bytes: 600 });
    pages.set('a', 'a2', pages.generation, { bytes: 300 });
    expect(pages.bytes).toBe(300);
    pages.set('b', 'b', pages.generation, { bytes: 200, expiresAt: now + 10 });
    now += 10;
    expect(pages.get('b')).toBeUndefined();
    expect(pages.bytes).toBe(300);
    pages.clear();
    expect(pages.bytes).toBe(0);
  });

  it('still bounds the entry count', () => {
    const pages = cache(Infinity, 2);
    for (const key of ['a', 'b', 'c']) pages.set(key, key, pages.generation);
    expect(pages.size).toBe(2);
    expect(pages.get('a')).toBeUndefined();
  });
});
