/** Browser end-to-end: real Chromium (/usr/bin/chromium) driven by playwright-core. */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  projects: undefined,
  testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 60000,
  maxWorkers: 1,
};
