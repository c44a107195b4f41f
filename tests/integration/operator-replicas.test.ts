// "Served" with several game server replicas: the operator on a real API server and MinIO, the real
// trainer in a Job, two real game servers on one real PostgreSQL, listed as the ready endpoints of
// the game Service by EndpointSlices. One replica stops reading the manifest ConfigMap: the model
// is not Served until that replica serves the manifest too.
import { DiscoveryV1Api } from '@kubernetes/client-node';
import { lookup } from 'node:dns/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../../hack/harness/postgres.ts';
import type { Manager } from '../../operator/manager.ts';
import {
  NAMESPACE,
  apply,
  condition,
  eventually,
  getModel,
  modelYaml,
  startOperatorEnv,
  startRealGameServer,
  type OperatorEnv,
  type RealGameServer,
} from './operator-fixtures.ts';

let env: OperatorEnv;
let postgres: PostgresServer;
let dir: string;
let ahead: RealGameServer;
let lagging: RealGameServer;
let operator: Manager;
/**
 * The game Service's name: the operator finds the replicas by the Service named in its game URL, and
 * the trainer Job reaches the export through that URL, so the name must resolve here: this host's
 * name (an /etc/hosts entry) stands for the Service.
 */
const SERVICE = hostname();
/** the replicas' address in the EndpointSlices: the host's first address outside loopback */
const HOST_IP = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

beforeAll(async () => {
  const address = await lookup(SERVICE).catch((err: Error) => {
    throw new Error(
      `this test names the game Service after the host, "${SERVICE}", which does not resolve: ${err.message}`,
    );
  });
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(SERVICE) || address.address !== '127.0.0.1') {
    throw new Error(
      `this test names the game Service after the host, "${SERVICE}" (${address.address}): it must be a DNS label resolving to 127.0.0.1`,
    );
  }
  if (!HOST_IP) throw new Error('this test needs an IPv4 address outside loopback for the EndpointSlices');
  env = await startOperatorEnv();
  dir = mkdtempSync(path.join(tmpdir(), 'operator-replicas-pg-'));
  postgres = await startPostgres({ dir });
  const databaseUrl = await postgres.createDatabase('games');
  ahead = await startRealGameServer(env, { config: { databaseUrl }, seed: 1, host: '0.0.0.0' });
  lagging = await startRealGameServer(env, { config: { databaseUrl }, seed: 2, host: '0.0.0.0' });
  const discovery = env.cp.kubeConfig.makeApiClient(DiscoveryV1Api);
  for (const [name, server] of [
    ['game-a', ahead],
    ['game-b', lagging],
  ] as const) {
    await discovery.createNamespacedEndpointSlice({
      namespace: NAMESPACE,
      body: {
        metadata: { name, labels: { 'kubernetes.io/service-name': SERVICE } },
        // the API server refuses loopback addresses in a slice: the replicas listen on the host's too
        addressType: 'IPv4',
        ports: [{ name: 'http', port: Number(new URL(server.url).port), protocol: 'TCP' }],
        endpoints: [{ addresses: [HOST_IP], conditions: { ready: true } }],
      },
    });
  }
  operator = await env.startOperator({ gameUrl: `http://${SERVICE}:${new URL(ahead.url).port}` });
});

afterAll(async () => {
  await operator?.stop();
  await ahead?.stop();
  await lagging?.stop();
  await postgres?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await env?.stop();
});

describe('Served with two game server replicas on PostgreSQL', () => {
  it('stays False while one ready replica lags the manifest, and turns True once it serves it too', async () => {
    lagging.pauseManifests();
    await apply(env, modelYaml('brian'));
    const endpoint = (server: RealGameServer) => `http://${HOST_IP}:${new URL(server.url).port}`;
    // the replica that reads the ConfigMap comes to serve v1
    await eventually(
      'v1 loaded by the replica that reads the ConfigMap',
      async () => {
        const reply = (await (await fetch(`${ahead.url}/api/v1/models`)).json()) as {
          models: { model: string; aliases: Record<string, { version: string; loaded: boolean }> }[];
        };
        const production = reply.models.find((m) => m.model === 'brian')?.aliases.Production;
        return production?.version === 'v1' && production.loaded ? true : undefined;
      },
      120_000,
    );
    // ...and the model is not Served: the operator names the other replica, and only that one
    const pending = await eventually('Served naming the lagging replica', async () => {
      const m = await getModel(env, 'brian');
      const served = condition(m, 'Served');
      if (served?.message.includes(endpoint(lagging)) && !served.message.includes(endpoint(ahead))) return m;
      throw new Error(`Served ${JSON.stringify(served)}`);
    });
    expect(pending.status?.aliases?.Production).toBe('v1');
    expect(condition(pending, 'Served')).toMatchObject({ status: 'False', reason: 'ServingPending' });

    await lagging.resumeManifests();
    const served = await eventually('v1 served by both replicas', async () => {
      const m = await getModel(env, 'brian');
      return condition(m, 'Served')?.status === 'True' ? m : undefined;
    });
    expect(condition(served, 'Served')?.reason).toBe('Served');
  });
});
