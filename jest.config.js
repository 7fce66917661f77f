/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '\\.[jt]s$': '<rootDir>/test/support/esbuild-transform.js',
  },
  // temporal-polyfill, its helper package, middy, jose and aedes ship only ES modules.
  transformIgnorePatterns: ['/node_modules/(?!(temporal-polyfill|temporal-utils|@middy|jose|aedes)/)'],
  setupFiles: ['<rootDir>/test/support/environment.js'],
  testTimeout: 30000,
};
