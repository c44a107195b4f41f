import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kube } from '../../operator/kube.ts';
import { apiMessage } from '../../operator/kube.ts';
import { INVALID, VALID, type Kind } from './admission-corpus.ts';
import { startCrdServer, type CrdServer } from './crd-server.ts';

const NS = 'admission';
let server: CrdServer;
let kube: Kube;

beforeAll(async () => {
  server = await startCrdServer(NS);
  kube = server.kube;
});

afterAll(async () => {
  await server?.stop();
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
