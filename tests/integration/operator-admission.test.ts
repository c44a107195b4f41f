import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binary, startControlPlane, type ControlPlane } from '../../hack/harness/index.ts';
import { apiMessage, makeKube, type Kube } from '../../operator/kube.ts';
import { INVALID, VALID, type Kind } from './admission-corpus.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);
const NS = 'admission';
let dir: string;
let cp: ControlPlane;
let kube: Kube;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'rps-admission-'));
  cp = await startControlPlane({ dir, fsync: false });
  kube = makeKube(cp.kubeConfig);
  const kubectl = (...args: string[]) =>
    run(binary('kubectl'), ['--kubeconfig', cp.kubeconfigPath, ...args], { maxBuffer: 1 << 24 });
  await kubectl('apply', '--server-side', '-f', path.join(repo, 'crds'));
  await kubectl(
    'wait',
    '--for=condition=Established',
    'crd/rpsmodels.rpsquest.dev',
    'crd/promotionpolicies.rpsquest.dev',
  );
  await kube.core.createNamespace({ body: { metadata: { name: NS } } });
});

afterAll(async () => {
  await cp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Creates the object as a server-side dry run: null when admitted, else the API server's message. */
async function create(kind: Kind, name: string, spec: unknown): Promise<string | null> {
  try {
    await kube.custom.createNamespacedCustomObject({
      group: 'rpsquest.dev',
      version: 'v1alpha1',
      namespace: NS,
      plural: kind === 'RpsModel' ? 'rpsmodels' : 'promotionpolicies',
      dryRun: 'All',
      body: { apiVersion: 'rpsquest.dev/v1alpha1', kind, metadata: { name }, spec },
    });
    return null;
  } catch (err) {
    return apiMessage(err);
  }
}

describe('admission on the real API server', () => {
  it('has a corpus of at least 60 mistaken resources', () => {
    expect(INVALID.length).toBeGreaterThanOrEqual(60);
  });

  it.each(INVALID.map((c) => [c.kind, c.what, c] as const))(
    'refuses a %s with %s, saying the field, the value and what is allowed',
    async (_kind, _what, c) => {
      const message = await create(c.kind, c.name ?? 'invalid', c.spec);
      expect(message).not.toBeNull();
      for (const says of c.says) expect(message).toMatch(says);
      // no internals: CEL type conversions or evaluation errors
      expect(message).not.toMatch(/type conversion error|google\.protobuf|evaluation error|no such key/);
    },
  );

  it.each(VALID.map((c) => [c.kind, c.what, c] as const))('admits a %s with %s', async (_kind, _what, c) => {
    expect(await create(c.kind, c.name ?? 'valid', c.spec)).toBeNull();
  });
});
