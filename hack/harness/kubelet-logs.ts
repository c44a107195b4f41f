import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import path from 'node:path';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';

/**
 * The one kubelet endpoint `kubectl logs` reaches through the API server: a Node whose kubelet
 * address is this process, serving `/containerLogs/<namespace>/<pod>/<container>` from the pod
 * executor's log files. The API server verifies no kubelet certificate unless told to, so the
 * API server's own self-signed serving certificate (`certDir`) does.
 */
export async function startKubeletLogs(opts: {
  kubeConfig: KubeConfig;
  certDir: string;
  logPath: (namespace: string, pod: string) => string;
  nodeName: string;
}): Promise<{ stop(): Promise<void> }> {
  const server = createServer(
    {
      cert: readFileSync(path.join(opts.certDir, 'apiserver.crt')),
      key: readFileSync(path.join(opts.certDir, 'apiserver.key')),
    },
    (req, res) => {
      const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/[^/?]+/.exec(req.url ?? '');
      const file = m ? opts.logPath(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)) : undefined;
      if (!file || !existsSync(file)) {
        res.writeHead(404).end(`no log for ${req.url}`);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(readFileSync(file));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const core = opts.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNode({ body: { metadata: { name: opts.nodeName } } }).catch(() => undefined);
  await core.patchNodeStatus(
    {
      name: opts.nodeName,
      body: {
        status: {
          addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
          daemonEndpoints: { kubeletEndpoint: { Port: port } },
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  return {
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
