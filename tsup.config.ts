import { defineConfig } from 'tsup';

// One build, two module formats: `import` gets ESM, `require` gets CJS, each with its own .d.ts.
export default defineConfig({
  entry: { index: 'lib/index.ts', simulator: 'lib/simulator/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  outExtension: ({ format }) => ({ js: format === 'esm' ? '.mjs' : '.js' }),
});
