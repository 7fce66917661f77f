// Jest transformer: esbuild turns TypeScript and ESM-only dependencies (temporal-polyfill)
// into CommonJS. Type checking is `tsc --noEmit`, run by `npm test` before jest.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: filename.endsWith('.ts') ? 'ts' : 'js',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'both',
      sourcefile: filename,
    });
    return { code, map };
  },
};
