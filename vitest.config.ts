import { defineConfig } from 'vitest/config';

// Four suites: unit (pure, fast), integration (real kube-apiserver, etcd, MinIO, SQLite),
// e2e (the whole system and a real browser), cluster (the manifests and the image on a real node:
// `make cluster`, root and Linux). `npm run test:<name>` runs one.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
          // a guard against hangs, not a timing: property tests and in-process servers take
          // several seconds when the machine's two cores are shared
          testTimeout: 30_000,
          // the files of a worker share its module cache: the 64 files import the same modules,
          // and importing them again for each file took most of the run (24 s against 54 s,
          // docs/control-plane.md). No unit test mocks a module or changes a global it leaves set.
          isolate: false,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 240_000,
          // each file starts its own control plane, MinIO and servers on free ports in its own
          // temporary directory, and most of a file's time is waiting on them: three files at a time
          // take 4.7 minutes on 2 cores, one at a time 11.8 (docs/control-plane.md)
          fileParallelism: true,
          maxWorkers: 3,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'cluster',
          include: ['tests/cluster/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['tests/cluster/setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
