import type { Condition, PromotionPolicy, RpsModel } from '../operator/resources.ts';
import { formatTable } from './table.ts';

const condition = (conditions: Condition[] | undefined, type: string) =>
  conditions?.find((c) => c.type === type);

const accuracy = (x: number | undefined) => (x === undefined ? undefined : x.toFixed(3));

/** The state of a model in a few words: its Training condition, and the Ready reason when not ready. */
function modelState(m: RpsModel): string {
  const training = condition(m.status?.conditions, 'Training');
  const ready = condition(m.status?.conditions, 'Ready');
  const parts: string[] = [];
  if (training)
    parts.push(
      training.reason === 'JobRunning'
        ? `Training ${m.status?.training?.version ?? ''}`.trim()
        : training.reason,
    );
  if (ready && ready.status !== 'True') parts.push(ready.reason);
  return parts.join(', ');
}

/** A policy's state: its mode and each model's last decision and outcome. */
function policyState(p: PromotionPolicy): string {
  const ready = condition(p.status?.conditions, 'Ready');
  const decisions = (p.status?.models ?? [])
    .filter((m) => m.lastEvaluation)
    .map((m) => `${m.model}=${m.lastEvaluation!.decision} (${m.lastEvaluation!.outcome})`);
  const head = `${p.spec.mode ?? 'Automatic'}${ready && ready.status !== 'True' ? `, ${ready.reason}` : ''}`;
  return decisions.length ? `${head}: ${decisions.join(', ')}` : head;
}

/** `kubectl rpsq status`: every model and policy of the namespace in one table (-A: a NAMESPACE column first). */
export function statusTable(
  models: readonly RpsModel[],
  policies: readonly PromotionPolicy[],
  opts: { namespaceColumn?: boolean } = {},
): string {
  const rows: (string | undefined)[][] = [
    ...models.map((m) => {
      const a = m.status?.aliases ?? {};
      return [
        'RpsModel',
        m.metadata.name,
        condition(m.status?.conditions, 'Ready')?.status ?? 'Unknown',
        a.Production,
        a.B,
        [a.Shadow1, a.Shadow2].filter(Boolean).join(','),
        m.status?.latestVersion,
        accuracy(m.status?.accuracy),
        modelState(m),
      ];
    }),
    ...policies.map((p) => [
      'PromotionPolicy',
      p.metadata.name,
      condition(p.status?.conditions, 'Ready')?.status ?? 'Unknown',
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      policyState(p),
    ]),
  ];
  const header = ['KIND', 'NAME', 'READY', 'PRODUCTION', 'B', 'SHADOWS', 'LATEST', 'ACCURACY', 'STATE'];
  if (!opts.namespaceColumn) return formatTable(header, rows);
  const namespaces = [...models, ...policies].map((o) => o.metadata.namespace);
  return formatTable(
    ['NAMESPACE', ...header],
    rows.map((row, i) => [namespaces[i], ...row]),
  );
}

/** `kubectl rpsq history <model>`: the versions kept, then every alias change (oldest first). */
export function historyText(m: RpsModel): string {
  const aliases = m.status?.aliases ?? {};
  const aliasesOf = (v: string) =>
    Object.entries(aliases)
      .filter(([, version]) => version === v)
      .map(([alias]) => alias + (m.spec.aliases?.[alias as keyof typeof aliases] === v ? ' (pinned)' : ''))
      .join(',');
  const versions = formatTable(
    ['VERSION', 'TRAINED', 'TRIGGER', 'ACCURACY', 'FEATURES', 'ALIASES'],
    (m.status?.versions ?? []).map((v) => [
      v.name,
      v.trainedAt,
      v.trigger,
      accuracy(v.metrics?.accuracy),
      v.featureSet,
      aliasesOf(v.name),
    ]),
  );
  const changes = formatTable(
    ['TIME', 'ALIAS', 'FROM', 'TO', 'REASON', 'MESSAGE'],
    (m.status?.aliasHistory ?? []).map((h) => [h.time, h.alias, h.from, h.to, h.reason, h.message]),
  );
  return `${versions}\n\n${changes}`;
}
