// Jest transformer for the files the docs entry imports as text (`with { type: 'text' }`, which
// esbuild bundles as a string): the module is the file's text, as in the bundle.
module.exports = {
  process(source) {
    return { code: `module.exports = ${JSON.stringify(source)};` };
  },
};
