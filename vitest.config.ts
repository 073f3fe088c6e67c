import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores on CI machines: more workers only add contention for onnxruntime sessions.
    maxWorkers: 2,
    // The CLI's process-level tests run the compiled bin, the browser tests the built page: build
    // dist/ and dist-web/ first when they are stale.
    globalSetup: ['test/cli/global-setup.ts', 'test/web/global-setup.ts'],
  },
});
