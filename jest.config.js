// One ESM set-up for the whole workspace: swc strips types (tsc checks them separately in
// `npm run typecheck`), Node runs the result as native ESM, so middy v6 and the AWS SDK load
// exactly as they do in Lambda.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'es6' },
      },
    ],
  },
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/\\.serverless/', '/\\.esbuild/', '/\\.mlops/'],
  modulePathIgnorePatterns: ['/\\.serverless/', '/\\.esbuild/'],
  watchPathIgnorePatterns: ['/\\.mlops/'],
  testTimeout: 30_000,
};
