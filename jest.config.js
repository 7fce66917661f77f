/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Swagger UI's files, which lambdas/core/docs/swagger-ui.ts imports as text.
    '/node_modules/swagger-ui-dist/(swagger-ui\\.css|swagger-ui-bundle\\.js)$': '<rootDir>/test/support/text-transform.js',
    '\\.[jt]s$': '<rootDir>/test/support/esbuild-transform.js',
  },
  // temporal-polyfill, its helper package, middy, jose and aedes ship only ES modules.
  transformIgnorePatterns: ['/node_modules/(?!(temporal-polyfill|temporal-utils|@middy|jose|aedes|swagger-ui-dist)/)'],
  setupFiles: ['<rootDir>/test/support/environment.js'],
  testTimeout: 30000,
};
