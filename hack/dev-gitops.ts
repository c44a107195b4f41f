// `make dev GITOPS=1`: the bots come from a local git repository through a real Argo CD instead of
// `kubectl apply -k config/samples`. The repository (.dev/gitops, a copy of config/ and crds/ made on
// the first run and kept afterwards) is yours to edit and commit to.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dump, loadAll } from 'js-yaml';
import { ARGOCD_NAMESPACE, initConfigRepo, startArgoCd, type ArgoCd } from './harness/index.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BOTS_APPLICATION = 'rps-quest-bots';

interface Application {
  metadata: { name: string };
  spec: { source: { repoURL: string } };
}

/**
 * Starts Argo CD against the dev cluster and has the bots Application of config/argocd (as
 * committed, its repoURL pointed at `<devDir>/gitops`) sync config/samples from there. Argo CD
 * reads the repository every 15 s here (3 min by default), so a commit shows up without a refresh.
 */
export async function startGitOps(opts: {
  devDir: string;
  kubeconfig: string;
  logDir: string;
  kubectl: (args: string[], input?: string) => string;
}): Promise<{ argocd: ArgoCd; gitDir: string }> {
  const gitDir = path.join(opts.devDir, 'gitops');
  if (!existsSync(path.join(gitDir, '.git'))) await initConfigRepo(gitDir);
  const argocd = await startArgoCd({
    kubeconfigPath: opts.kubeconfig,
    dir: path.join(opts.devDir, 'argocd'),
    logDir: opts.logDir,
    reconciliation: '15s',
  });
  try {
    const docs = loadAll(
      readFileSync(path.join(repo, 'config/argocd/application.yaml'), 'utf8'),
    ) as Application[];
    const app = docs.find((d) => d.metadata.name === BOTS_APPLICATION)!;
    app.spec.source.repoURL = `file://${gitDir}`;
    opts.kubectl(['apply', '-f', '-'], dump(app));
  } catch (err) {
    await argocd.stop();
    throw err;
  }
  return { argocd, gitDir };
}

/** What `make dev GITOPS=1` prints besides the usual: the edit-commit-watch loop. */
export function gitOpsHelp(argocd: ArgoCd, gitDir: string, kubeconfig: string, namespace: string): string {
  return `GitOps (Argo CD ${argocd.server}, user admin, password ${argocd.adminPassword}):
  export KUBECONFIG=${kubeconfig}
  cd ${gitDir}
  $EDITOR config/samples/rpsmodel-logan.yaml     # e.g. hyperparameters.epochs
  git commit -am 'logan: more epochs'
  kubectl get rpsm -n ${namespace} -w            # a new version trains, then serves
  kubectl get application ${BOTS_APPLICATION} -n ${ARGOCD_NAMESPACE} -w   # Progressing, then Healthy
  argocd --server ${argocd.server} --plaintext --config ${path.join(argocd.workDir, 'cli-config')} \\
    app actions run ${BOTS_APPLICATION} train-now --kind RpsModel --resource-name brian --namespace ${namespace}
`;
}
