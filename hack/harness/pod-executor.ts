import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Pod,
  type V1EnvVar,
} from '@kubernetes/client-node';

import { startKubeletLogs } from './kubelet-logs.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface PodExecutor {
  /** the output (stdout and stderr) of a pod's run, as `kubectl logs` would show it */
  logs(namespace: string, name: string): string;
  stop(): Promise<void>;
}

export function podLogPath(logDir: string, namespace: string, name: string): string {
  return path.join(logDir, `${namespace}_${name}.log`);
}

/** `rpsq` in a container command is the image's entry command: here, this checkout's CLI. */
export function resolveCommand(command: string[]): string[] {
  if (command[0] === 'rpsq')
    return [process.execPath, '--import', 'tsx', path.join(repoRoot, 'cli.ts'), ...command.slice(1)];
  return command;
}

async function resolveEnv(
  core: CoreV1Api,
  namespace: string,
  pod: V1Pod,
  vars: V1EnvVar[],
): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const v of vars) {
    if (v.value !== undefined) {
      // $(VAR) references to earlier variables, as the kubelet expands them
      env[v.name] = v.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => env[name] ?? m);
    } else if (v.valueFrom?.secretKeyRef) {
      const ref = v.valueFrom.secretKeyRef;
      const secret = await core.readNamespacedSecret({ name: ref.name!, namespace });
      const data = secret.data?.[ref.key];
      if (data === undefined) {
        if (ref.optional) continue;
        throw new Error(`secret ${ref.name} has no key ${ref.key}`);
      }
      env[v.name] = Buffer.from(data, 'base64').toString('utf8');
    } else if (v.valueFrom?.configMapKeyRef) {
      const ref = v.valueFrom.configMapKeyRef;
      const cm = await core.readNamespacedConfigMap({ name: ref.name!, namespace });
      const data = cm.data?.[ref.key];
      if (data === undefined) {
        if (ref.optional) continue;
        throw new Error(`configmap ${ref.name} has no key ${ref.key}`);
      }
      env[v.name] = data;
    } else if (v.valueFrom?.fieldRef) {
      const field = v.valueFrom.fieldRef.fieldPath;
      env[v.name] =
        field === 'metadata.name' ? pod.metadata!.name! : field === 'metadata.namespace' ? namespace : '';
    }
  }
  return env;
}

/**
 * Stands in for the kubelet for the pods of Jobs: runs the pod's first container command as a
 * local process with the container's env, then writes the pod status (Running, then Succeeded or
 * Failed with the exit code and the termination message) so the real Job controller finishes the Job.
 * A pod deleted while running (deadline exceeded, Job deleted) has its process killed.
 */
export async function startPodExecutor(opts: {
  kubeConfig: KubeConfig;
  namespace?: string;
  logDir: string;
  env?: Record<string, string>;
  pollMs?: number;
  /** which pods to run (default: every pod a Job owns) */
  labelSelector?: string;
  /** the API server's --cert-dir: pods are bound to a Node whose kubelet serves their logs (`kubectl logs`) */
  servingCertDir?: string;
}): Promise<PodExecutor> {
  const core = opts.kubeConfig.makeApiClient(CoreV1Api);
  mkdirSync(opts.logDir, { recursive: true });
  const nodeName = 'pod-executor';
  const kubelet = opts.servingCertDir
    ? await startKubeletLogs({
        kubeConfig: opts.kubeConfig,
        certDir: opts.servingCertDir,
        logPath: (namespace, name) => podLogPath(opts.logDir, namespace, name),
        nodeName,
      })
    : undefined;
  const runningPods = new Map<string, { child: ChildProcess; namespace: string; name: string }>();
  let stopped = false;

  const patchStatus = async (namespace: string, name: string, status: object) => {
    await core.patchNamespacedPodStatus(
      { name, namespace, body: { status } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  };

  const run = async (pod: V1Pod) => {
    const namespace = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    const uid = pod.metadata!.uid!;
    const container = pod.spec!.containers[0]!;
    const startedAt = new Date().toISOString();
    const workDir = mkdtempSync(path.join(tmpdir(), `pod-${name}-`));
    const terminationLog = path.join(workDir, 'termination-log');
    let env: Record<string, string>;
    try {
      env = await resolveEnv(core, namespace, pod, container.env ?? []);
    } catch (err) {
      // a missing secret or key: the kubelet reports CreateContainerConfigError and the pod fails
      await patchStatus(namespace, name, {
        phase: 'Failed',
        message: (err as Error).message,
        containerStatuses: [
          {
            name: container.name,
            image: container.image ?? '',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: {
              terminated: {
                exitCode: 128,
                reason: 'CreateContainerConfigError',
                message: (err as Error).message,
                startedAt,
                finishedAt: new Date().toISOString(),
              },
            },
          },
        ],
      });
      return;
    }
    const argv = resolveCommand([...(container.command ?? []), ...(container.args ?? [])]);
    if (kubelet && !pod.spec?.nodeName) {
      await core.createNamespacedPodBinding({
        name,
        namespace,
        body: { metadata: { name }, target: { kind: 'Node', name: nodeName } },
      });
    }
    const log = createWriteStream(podLogPath(opts.logDir, namespace, name), { flags: 'a' });
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...opts.env,
        ...env,
        HOSTNAME: name,
        RPS_TERMINATION_LOG: terminationLog,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const exited = new Promise<number>((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 137 : 1)));
      child.once('error', () => resolve(127));
    });
    runningPods.set(uid, { child, namespace, name });
    await patchStatus(namespace, name, {
      phase: 'Running',
      startTime: startedAt,
      containerStatuses: [
        {
          name: container.name,
          image: container.image ?? '',
          imageID: '',
          ready: true,
          restartCount: 0,
          started: true,
          state: { running: { startedAt } },
        },
      ],
    }).catch(() => undefined);
    const exitCode = await exited;
    runningPods.delete(uid);
    log.end();
    let message = '';
    try {
      message = readFileSync(terminationLog, 'utf8').slice(0, 4096);
    } catch {
      // the container wrote no termination message
    }
    rmSync(workDir, { recursive: true, force: true });
    if (stopped) return;
    const finishedAt = new Date().toISOString();
    await patchStatus(namespace, name, {
      phase: exitCode === 0 ? 'Succeeded' : 'Failed',
      containerStatuses: [
        {
          name: container.name,
          image: container.image ?? '',
          imageID: '',
          ready: false,
          restartCount: 0,
          started: false,
          state: {
            terminated: {
              exitCode,
              reason: exitCode === 0 ? 'Completed' : 'Error',
              message,
              startedAt,
              finishedAt,
            },
          },
        },
      ],
    }).catch((err: Error) => console.error(`pod executor: status of ${namespace}/${name}: ${err.message}`)); // the pod may be gone already
  };

  const tick = async () => {
    const labelSelector = opts.labelSelector;
    const pods = opts.namespace
      ? await core.listNamespacedPod({ namespace: opts.namespace, labelSelector })
      : await core.listPodForAllNamespaces({ labelSelector });
    const seen = new Set<string>();
    for (const pod of pods.items) {
      const uid = pod.metadata!.uid!;
      seen.add(uid);
      const isJobPod =
        labelSelector !== undefined || (pod.metadata?.ownerReferences ?? []).some((o) => o.kind === 'Job');
      if (pod.metadata?.deletionTimestamp) {
        runningPods.get(uid)?.child.kill('SIGTERM');
        continue;
      }
      if (!isJobPod || runningPods.has(uid) || claimed.has(uid)) continue;
      if ((pod.status?.phase ?? 'Pending') !== 'Pending') continue;
      claimed.add(uid);
      void run(pod).catch(() => claimed.delete(uid));
    }
    for (const [uid, p] of runningPods) if (!seen.has(uid)) p.child.kill('SIGTERM');
  };
  const claimed = new Set<string>();

  let timer: NodeJS.Timeout | undefined;
  const loop = async () => {
    if (stopped) return;
    try {
      await tick();
    } catch {
      // the API server may be restarting; try again on the next tick
    }
    if (!stopped) timer = setTimeout(loop, opts.pollMs ?? 300);
  };
  void loop();

  return {
    logs: (namespace, name) => {
      const file = podLogPath(opts.logDir, namespace, name);
      return existsSync(file) ? readFileSync(file, 'utf8') : '';
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      for (const p of runningPods.values()) p.child.kill('SIGTERM');
      await kubelet?.stop();
    },
  };
}
