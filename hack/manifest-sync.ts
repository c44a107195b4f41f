import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';

/**
 * Keeps a directory in sync with one ConfigMap's keys, as the kubelet does for a mounted
 * ConfigMap volume: one file per key, written atomically (temp file + rename), removed keys deleted.
 */
export async function startManifestSync(opts: {
  kubeConfig: KubeConfig;
  namespace: string;
  configMap: string;
  dir: string;
  pollMs?: number;
}): Promise<{ stop(): void }> {
  const core = opts.kubeConfig.makeApiClient(CoreV1Api);
  mkdirSync(opts.dir, { recursive: true });
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const sync = async () => {
    let data: Record<string, string> = {};
    try {
      const cm = await core.readNamespacedConfigMap({ name: opts.configMap, namespace: opts.namespace });
      data = cm.data ?? {};
    } catch (err) {
      if ((err as { code?: number }).code !== 404) return; // API briefly away: keep the files as they are
    }
    for (const [key, value] of Object.entries(data)) {
      const file = path.join(opts.dir, key);
      if (existsSync(file) && readFileSync(file, 'utf8') === value) continue;
      const tmp = path.join(opts.dir, `.${key}.tmp`);
      writeFileSync(tmp, value);
      renameSync(tmp, file);
    }
    for (const file of readdirSync(opts.dir)) {
      if (!file.startsWith('.') && !(file in data)) rmSync(path.join(opts.dir, file), { force: true });
    }
  };
  const loop = async () => {
    if (stopped) return;
    await sync().catch(() => undefined);
    if (!stopped) timer = setTimeout(loop, opts.pollMs ?? 500);
  };
  await loop();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
