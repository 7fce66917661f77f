// Jest transformer: esbuild turns TypeScript and ESM-only dependencies (temporal-polyfill)
// into CommonJS. Type checking is `tsc --noEmit`, run by `npm test` before jest.
const { createHash } = require('node:crypto');
const { transformSync } = require('esbuild');

const OPTIONS = {
  format: 'cjs',
  target: 'node20',
  sourcemap: 'both',
  // Jest's module registry has no import(): lazy imports (and ESM-only packages) become require.
  supported: { 'dynamic-import': false },
};

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, { ...OPTIONS, loader: filename.endsWith('.ts') ? 'ts' : 'js', sourcefile: filename });
    return { code, map };
  },
  // The options are part of the key: changing them must not reuse code cached with others.
  getCacheKey(source, filename, { configString }) {
    return createHash('sha1').update(JSON.stringify(OPTIONS)).update('\0').update(filename).update('\0').update(configString).update('\0').update(source).digest('hex');
  },
};
