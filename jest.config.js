/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '\\.[jt]s$': '<rootDir>/test/support/esbuild-transform.js' },
  // temporal-polyfill and its helper package ship only ES modules.
  transformIgnorePatterns: ['/node_modules/(?!(temporal-polyfill|temporal-utils)/)'],
  testTimeout: 30000,
};
