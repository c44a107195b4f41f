import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUT_MS, parseArgs } from '../../plugin/args.ts';
import { loadKubeConfig, namespaceOf } from '../../plugin/cluster.ts';
import { main } from '../../plugin/main.ts';
import { PluginError } from '../../plugin/plugin-error.ts';
import { formatTable } from '../../plugin/table.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'rpsq-plugin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kubeconfig(file: string, contexts: { name: string; namespace?: string }[], current: string): string {
  const p = path.join(dir, file);
  writeFileSync(
    p,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443' } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: contexts.map((c) => ({
        name: c.name,
        context: { cluster: 'c', user: 'u', ...(c.namespace ? { namespace: c.namespace } : {}) },
      })),
      'current-context': current,
    }),
  );
  return p;
}

describe('kubectl rpsq arguments', () => {
  it('takes flags anywhere, with a separate or an attached value', () => {
    expect(parseArgs(['-n', 'team-b', 'train', 'brian', '--wait', '--timeout=90s'])).toEqual({
      command: 'train',
      positional: ['brian'],
      namespace: 'team-b',
      allNamespaces: false,
      wait: true,
      timeoutMs: 90_000,
      help: false,
    });
    expect(parseArgs(['status', '-A']).allNamespaces).toBe(true);
    expect(parseArgs(['--all-namespaces', 'status', '-n', 'x'])).toMatchObject({
      command: 'status',
      namespace: 'x',
      allNamespaces: true,
    });
    expect(
      parseArgs(['pin', 'brian', 'B', 'v2', '--kubeconfig', '/k', '--context=dev', '--timeout', '2m']),
    ).toMatchObject({
      command: 'pin',
      positional: ['brian', 'B', 'v2'],
      kubeconfig: '/k',
      context: 'dev',
      timeoutMs: 120_000,
    });
    expect(parseArgs(['status']).timeoutMs).toBe(DEFAULT_TIMEOUT_MS);
  });

  it('refuses unknown flags, missing values and malformed timeouts, exit code 2', () => {
    const error = (argv: string[]) => {
      try {
        parseArgs(argv);
      } catch (err) {
        return err as PluginError;
      }
      throw new Error('no error');
    };
    expect(error(['status', '--all']).message).toBe('unknown flag "--all"');
    expect(error(['status', '-n']).message).toBe('-n needs a value');
    expect(error(['evaluate', 'p', '--timeout', '5 minutes']).message).toContain(
      '--timeout "5 minutes" is not a duration',
    );
    expect(error(['evaluate', 'p', '--timeout=0']).exitCode).toBe(2);
  });
});

describe('kubectl rpsq kubeconfig and namespace', () => {
  const a = kubeconfig('a', [{ name: 'a', namespace: 'rps-quest' }, { name: 'plain' }], 'a');
  const b = kubeconfig('b', [{ name: 'b', namespace: 'team-b' }], 'b');

  it('uses --kubeconfig over KUBECONFIG, and the first existing KUBECONFIG file first', () => {
    expect(loadKubeConfig({ kubeconfig: b }, { KUBECONFIG: a }).getCurrentContext()).toBe('b');
    const merged = loadKubeConfig({}, { KUBECONFIG: ['/missing', a, b].join(path.delimiter) });
    expect(merged.getCurrentContext()).toBe('a');
    expect(merged.getContexts().map((c) => c.name)).toEqual(['a', 'plain', 'b']);
  });

  it("takes -n, else the context's namespace, else default", () => {
    const kc = loadKubeConfig({}, { KUBECONFIG: a });
    expect(namespaceOf(kc, undefined)).toBe('rps-quest');
    expect(namespaceOf(kc, 'team-c')).toBe('team-c');
    expect(namespaceOf(loadKubeConfig({ context: 'plain' }, { KUBECONFIG: a }), undefined)).toBe('default');
  });

  it('says what is missing', () => {
    expect(() => loadKubeConfig({}, { HOME: dir })).toThrow(
      'no kubeconfig: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config',
    );
    expect(() => loadKubeConfig({ context: 'nope' }, { KUBECONFIG: a })).toThrow(
      'context "nope" is not in the kubeconfig (contexts: a, plain)',
    );
  });
});

describe('kubectl rpsq exit codes', () => {
  const run = async (argv: string[], env: NodeJS.ProcessEnv) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('exits 1 naming the API server it cannot reach and what it tried', async () => {
    const dead = path.join(dir, 'dead');
    writeFileSync(
      dead,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    const r = await run(['train', 'brian', '-n', 'rps-quest'], { KUBECONFIG: dead });
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'error: cannot reach the API server at https://127.0.0.1:1: ECONNREFUSED (get RpsModel brian)',
    );
  });

  it('exits 2 on wrong usage and 0 on --help', async () => {
    expect((await run(['promote', 'brian'], {})).code).toBe(2);
    expect((await run([], {})).code).toBe(2);
    const help = await run(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.out).toContain('train <model> [--wait]');
  });
});

describe('kubectl rpsq tables', () => {
  it('pads columns to the widest cell and shows empty cells as -', () => {
    expect(
      formatTable(
        ['NAME', 'B', 'STATE'],
        [
          ['brian', 'v2', 'Idle'],
          ['logan', undefined, ''],
        ],
      ),
    ).toBe(['NAME    B    STATE', 'brian   v2   Idle', 'logan   -    -'].join('\n'));
  });
});
