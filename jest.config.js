/** Unit and integration tests: real Redis, the simulator over HTTP. */
const project = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/'],
  // Transpile only, to CommonJS: type-checking is `npm run typecheck`'s job.
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: { module: 'commonjs', moduleResolution: 'node10', isolatedModules: true } }] },
};

module.exports = {
  ...project,
  testTimeout: 20000, // a global option in jest 29 (projects may not set it)
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  maxWorkers: 2,
  projects: [
    { ...project, displayName: 'express5', globals: { EXPRESS_MAJOR: '5' } },
    // The login flows again on Express 4 (the peer range is ^4.18 || ^5): `express` resolves to
    // the `express4` alias for the app, the router and the simulator alike.
    {
      ...project,
      displayName: 'express4',
      testMatch: ['<rootDir>/test/oauth/flows*.test.ts', '<rootDir>/test/wxauth/example-app.test.ts', '<rootDir>/test/native/native-api*.test.ts', '<rootDir>/test/miniprogram/miniprogram-api*.test.ts', '<rootDir>/test/miniprogram/phone*.test.ts', '<rootDir>/test/identity/jwt-http*.test.ts', '<rootDir>/test/passport/*.test.ts', '<rootDir>/test/follow/*.test.ts'],
      // Follow-to-login's unit level (scenes, seals, waiters) and its API client calls run no app router.
      testPathIgnorePatterns: [...project.testPathIgnorePatterns, '<rootDir>/test/follow/(scene-and-waiters|qrcode-api)\\.test\\.ts$'],
      moduleNameMapper: { '^express$': 'express4', '^express/package\\.json$': 'express4/package.json' },
      globals: { EXPRESS_MAJOR: '4' },
    },
  ],
};
