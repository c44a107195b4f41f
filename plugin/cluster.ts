import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { apiMessage, isConflict, isNotFound, makeKube, mergePatch, type Kube } from '../operator/kube.ts';
import {
  GROUP,
  PROMOTION_POLICIES,
  RPS_MODELS,
  VERSION,
  type PromotionPolicy,
  type RpsModel,
} from '../operator/resources.ts';
import { ConflictError, PluginError } from './plugin-error.ts';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * The kubeconfig as kubectl finds it: --kubeconfig, else the files of KUBECONFIG (merged, missing
 * ones skipped), else ~/.kube/config, else the Pod's service account; --context picks a context.
 */
export function loadKubeConfig(
  flags: { kubeconfig?: string; context?: string },
  env: NodeJS.ProcessEnv = process.env,
): KubeConfig {
  const kc = new KubeConfig();
  const load = (file: string) => {
    try {
      kc.loadFromFile(file);
    } catch (err) {
      throw new PluginError(`cannot read kubeconfig ${file}: ${(err as Error).message}`);
    }
  };
  if (flags.kubeconfig) {
    if (!existsSync(flags.kubeconfig))
      throw new PluginError(`kubeconfig ${flags.kubeconfig} (--kubeconfig) does not exist`);
    load(flags.kubeconfig);
  } else if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(path.delimiter).filter((f) => f && existsSync(f));
    if (!files.length)
      throw new PluginError(`no kubeconfig: none of the files in KUBECONFIG=${env.KUBECONFIG} exists`);
    load(files[0]!);
    for (const file of files.slice(1)) {
      const more = new KubeConfig();
      more.loadFromFile(file);
      // kubectl's merge: the first file that names a cluster, user or context wins
      for (const c of more.getClusters()) if (!kc.getCluster(c.name)) kc.addCluster(c);
      for (const u of more.getUsers()) if (!kc.getUser(u.name)) kc.addUser(u);
      for (const c of more.getContexts()) if (!kc.getContextObject(c.name)) kc.addContext(c);
    }
  } else if (existsSync(path.join(env.HOME ?? homedir(), '.kube', 'config'))) {
    load(path.join(env.HOME ?? homedir(), '.kube', 'config'));
  } else if (env.KUBERNETES_SERVICE_HOST && existsSync(SERVICE_ACCOUNT_TOKEN)) {
    kc.loadFromCluster();
  } else {
    throw new PluginError('no kubeconfig: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config');
  }
  if (flags.context) {
    if (!kc.getContextObject(flags.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new PluginError(
        `context "${flags.context}" is not in the kubeconfig (contexts: ${known.join(', ') || 'none'})`,
      );
    }
    kc.setCurrentContext(flags.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new PluginError(`the kubeconfig's current context "${kc.getCurrentContext()}" names no cluster`);
  }
  return kc;
}

/** -n/--namespace, else the current context's namespace, else `default` (kubectl's rule). */
export function namespaceOf(kc: KubeConfig, flag: string | undefined): string {
  return flag ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
}

type Plural = typeof RPS_MODELS | typeof PROMOTION_POLICIES;
const KIND: Record<Plural, string> = { [RPS_MODELS]: 'RpsModel', [PROMOTION_POLICIES]: 'PromotionPolicy' };

/** The API calls of the plugin, with failures turned into messages that say what was not found where. */
export class Cluster {
  readonly kube: Kube;

  constructor(
    readonly kubeConfig: KubeConfig,
    readonly namespace: string,
    /** lists read every namespace (-A); gets and patches stay in `namespace` */
    readonly allNamespaces = false,
  ) {
    this.kube = makeKube(kubeConfig);
  }

  /** Any API failure as a PluginError naming what was attempted. */
  async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      if (err instanceof PluginError) throw err;
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: unknown }).code;
      if (typeof cause === 'string') {
        throw new PluginError(
          `cannot reach the API server at ${this.kubeConfig.getCurrentCluster()?.server}: ${cause} (${what})`,
        );
      }
      if (isConflict(err)) throw new ConflictError(`${what}: ${apiMessage(err)}`);
      throw new PluginError(`${what}: ${apiMessage(err)}`);
    }
  }

  /** Sorted by namespace, then name (kubectl's order for -A). */
  private async list<T extends { metadata: { name: string; namespace?: string } }>(
    plural: Plural,
    allNamespaces = false,
  ): Promise<T[]> {
    const result = (await (allNamespaces
      ? this.call(`list ${plural} in all namespaces`, () =>
          this.kube.custom.listCustomObjectForAllNamespaces({ group: GROUP, version: VERSION, plural }),
        )
      : this.call(`list ${plural} in namespace ${this.namespace}`, () =>
          this.kube.custom.listNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            namespace: this.namespace,
            plural,
          }),
        ))) as { items: T[] };
    return result.items.sort(
      (a, b) =>
        (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
        a.metadata.name.localeCompare(b.metadata.name),
    );
  }

  private async get<T>(plural: Plural, name: string): Promise<T> {
    try {
      return (await this.kube.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: this.namespace,
        plural,
        name,
      })) as T;
    } catch (err) {
      if (!isNotFound(err)) return this.call(`get ${KIND[plural]} ${name}`, () => Promise.reject(err));
      const names = (await this.list<{ metadata: { name: string } }>(plural)).map((o) => o.metadata.name);
      throw new PluginError(
        `${KIND[plural]} "${name}" not found in namespace "${this.namespace}" (${names.length ? `there: ${names.join(', ')}` : 'it has none'}; -n picks another namespace)`,
      );
    }
  }

  /** The namespace's models and policies, or with -A every namespace's. */
  listModels = () => this.list<RpsModel>(RPS_MODELS, this.allNamespaces);
  listPolicies = () => this.list<PromotionPolicy>(PROMOTION_POLICIES, this.allNamespaces);
  getModel = (name: string) => this.get<RpsModel>(RPS_MODELS, name);
  getPolicy = (name: string) => this.get<PromotionPolicy>(PROMOTION_POLICIES, name);

  /** A JSON merge patch; with `resourceVersion` it fails rather than overwrite a change made meanwhile. */
  async patch<T>(plural: Plural, name: string, body: object, what: string): Promise<T> {
    return (await this.call(what, () =>
      this.kube.custom.patchNamespacedCustomObject(
        { group: GROUP, version: VERSION, namespace: this.namespace, plural, name, body },
        mergePatch(),
      ),
    )) as T;
  }
}
