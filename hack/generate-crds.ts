/**
 * `make generate`: writes the parts of crds/rpsmodels.yaml that follow from the hyperparameter
 * schema (trainer/hyperparameters.ts) — the hyperparameter properties, the search's candidate and
 * range schemas, and the rules that tie hyperparameters to their algorithm — between the
 * `# generated: <region>` and `# end generated: <region>` comments. The rest of the CRD is
 * written by hand. `generateRpsModelCrd(text)` is pure, so a unit test checks the file is current.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dump } from 'js-yaml';
import { format, resolveConfig } from 'prettier';
import type { Algorithm } from '../core/index.ts';
import {
  allowedRange,
  HYPERPARAMETERS,
  MAX_GBDT_LEAVES,
  type HyperparameterSpec,
} from '../trainer/hyperparameters.ts';

export const RPS_MODEL_CRD = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'crds',
  'rpsmodels.yaml',
);

type Schema = Record<string, unknown>;
interface Rule {
  rule: string;
  fieldPath?: string;
  reason?: string;
  message?: string;
  messageExpression?: string;
}

const specs = HYPERPARAMETERS as unknown as Record<Algorithm, Record<string, HyperparameterSpec>>;
const algorithms = Object.keys(specs) as Algorithm[];
const names = [...new Set(algorithms.flatMap((a) => Object.keys(specs[a])))];
const owners = (name: string) => algorithms.filter((a) => name in specs[a]);
const specsOf = (name: string) => owners(name).map((a) => specs[a][name]!);

/** A CEL literal of the hyperparameter's type: doubles for numbers (CEL does not mix int and double). */
function literal(spec: HyperparameterSpec, n: number): string {
  return spec.type === 'number' && Number.isInteger(n) ? `${n}.0` : String(n);
}
const quoted = (s: string) => `'${s}'`;
const list = (xs: readonly string[]) => `[${xs.map(quoted).join(', ')}]`;
const words = (xs: readonly string[]) =>
  xs.length === 1 ? xs[0]! : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
const shown = (v: HyperparameterSpec['default']) => (Array.isArray(v) ? `[${v.join(', ')}]` : String(v));

/** The widest range over the algorithms that share a hyperparameter. */
function union(name: string): HyperparameterSpec {
  const all = specsOf(name);
  const first = all[0]!;
  if (first.min === undefined || first.max === undefined) return first;
  return {
    ...first,
    min: Math.min(...all.map((s) => s.min!)),
    max: Math.max(...all.map((s) => s.max!)),
  };
}

function description(name: string): string {
  const as = owners(name);
  const all = specsOf(name);
  const defaults =
    as.length === 1
      ? `default ${shown(all[0]!.default)}`
      : `default ${as.map((a, i) => `${shown(all[i]!.default)} for ${a}`).join(', ')}`;
  const ranges = new Set(all.map(allowedRange));
  const allowed =
    ranges.size === 1
      ? `allowed: ${allowedRange(all[0]!)}`
      : `allowed: ${as.map((a, i) => `${allowedRange(all[i]!)} for ${a}`).join('; ')}`;
  return `${as.join(', ')}: ${all[0]!.description} (${defaults}; ${allowed}).`;
}

/**
 * The schema of one value. The API server compares an integer-written value with a bound
 * truncated to an integer, so a fractional bound (0.9, 0.00001) is a CEL rule, not minimum/maximum.
 */
function valueSchema(spec: HyperparameterSpec): Schema {
  if (spec.type === 'string') return { type: 'string', enum: [...(spec.enum ?? [])] };
  if (spec.type === 'integer[]') {
    return {
      type: 'array',
      minItems: spec.minItems,
      maxItems: spec.maxItems,
      items: { type: 'integer', minimum: spec.min, maximum: spec.max },
    };
  }
  const whole = Number.isInteger(spec.min) && Number.isInteger(spec.max);
  if (whole) return { type: spec.type, minimum: spec.min, maximum: spec.max };
  return {
    type: spec.type,
    'x-kubernetes-validations': [
      {
        rule: `self >= ${literal(spec, spec.min!)} && self <= ${literal(spec, spec.max!)}`,
        message: `must be ${allowedRange(spec)}`,
      },
    ],
  };
}

function hyperparameterProperties(): Schema {
  return Object.fromEntries(names.map((n) => [n, { description: description(n), ...valueSchema(union(n)) }]));
}

/** `search.random.ranges.<name>`: {min, max} within the hyperparameter's range, or values it allows. */
function rangeProperties(): Schema {
  return Object.fromEntries(
    names.map((n) => {
      const spec = union(n);
      const numeric = spec.type === 'number' || spec.type === 'integer';
      const rules: Rule[] = [
        numeric
          ? {
              rule: 'has(self.values) ? !has(self.min) && !has(self.max) : has(self.min) && has(self.max)',
              message: 'set min and max, or values (a list to pick from), not both',
            }
          : { rule: 'has(self.values)', message: `${n} takes values (a list to pick from)` },
      ];
      const properties: Schema = {
        values: {
          type: 'array',
          description: `The values to pick from, each ${allowedRange(spec)}.`,
          minItems: 1,
          maxItems: 64,
          items: valueSchema(spec),
        },
      };
      if (numeric) {
        const bound = { type: spec.type, ...valueSchema(spec) };
        properties.min = { ...bound, description: `The smallest value drawn (${allowedRange(spec)}).` };
        properties.max = { ...bound, description: `The largest value drawn (${allowedRange(spec)}).` };
        properties.log = { type: 'boolean', description: 'Sample on a log scale (min must be above 0).' };
        properties.integer = { type: 'boolean', description: 'Round each drawn value to an integer.' };
        rules.push(
          {
            rule: '!has(self.min) || !has(self.max) || self.min <= self.max',
            message: 'min must not be above max',
          },
          {
            rule: `!has(self.log) || !self.log || !has(self.min) || self.min > ${literal(spec, 0)}`,
            message: 'a log range needs min above 0',
          },
        );
        rules.push({
          rule: '!has(self.values) || (!has(self.log) && !has(self.integer))',
          message: 'log and integer shape a min-max range: with values, leave them out',
        });
        if (spec.type === 'integer') {
          rules.push({
            rule: '!has(self.log) || !self.log || (has(self.integer) && self.integer)',
            message: `${n} is an integer: a log range needs integer: true`,
          });
        } else {
          // each draw is rounded: from fractional ends it can land outside the hyperparameter's range
          const [lo, hi] = [literal(spec, spec.min!), literal(spec, spec.max!)];
          const whole = (v: string) => `(${v} < ${lo} || ${v} > ${hi} || ${v} == double(int(${v})))`;
          rules.push({
            rule: `!has(self.integer) || !self.integer || !has(self.min) || !has(self.max) || (${whole('self.min')} && ${whole('self.max')})`,
            message: `integer: true rounds each draw, so min and max must be whole numbers within ${n}'s range (${allowedRange(spec)})`,
          });
        }
      }
      return [
        n,
        {
          type: 'object',
          description: `${owners(n).join(', ')}: ${spec.description}.`,
          properties,
          'x-kubernetes-validations': rules,
        },
      ];
    }),
  );
}

/** Rules on spec: each hyperparameter belongs to its algorithms, narrower per-algorithm ranges, gbdt's size. */
function specRules(): Rule[] {
  const rules: Rule[] = [];
  for (const n of names) {
    const as = owners(n);
    const of = as.length === 1 ? `algorithm ${as[0]} only` : `algorithms ${words(as)}`;
    rules.push({
      rule: `!has(self.hyperparameters.${n}) || self.algorithm in ${list(as)}`,
      fieldPath: `.hyperparameters.${n}`,
      reason: 'FieldValueForbidden',
      messageExpression: `'${n} is a hyperparameter of ${of}, not of ' + self.algorithm`,
    });
    if (as.length < algorithms.length) {
      rules.push({
        rule:
          `self.algorithm in ${list(as)} || !has(self.search) || ` +
          `((!has(self.search.candidates) || !self.search.candidates.exists(c, has(c.${n}))) && ` +
          `(!has(self.search.random) || !has(self.search.random.ranges.${n})))`,
        fieldPath: '.search',
        reason: 'FieldValueForbidden',
        messageExpression: `'search uses ${n}, a hyperparameter of ${of}, not of ' + self.algorithm`,
      });
    }
    const wide = union(n);
    for (const a of as) {
      const s = specs[a][n]!;
      if (s.min === undefined || s.max === undefined || (s.min === wide.min && s.max === wide.max)) continue;
      const [lo, hi] = [literal(s, s.min), literal(s, s.max)];
      const within = (v: string) => `(${v} >= ${lo} && ${v} <= ${hi})`;
      rules.push({
        rule: `self.algorithm != '${a}' || !has(self.hyperparameters.${n}) || ${within(`self.hyperparameters.${n}`)}`,
        fieldPath: `.hyperparameters.${n}`,
        reason: 'FieldValueInvalid',
        message: `for algorithm ${a}, ${n} must be ${allowedRange(s)}`,
      });
      rules.push({
        rule:
          `self.algorithm != '${a}' || !has(self.search) || !has(self.search.candidates) || ` +
          `self.search.candidates.all(c, !has(c.${n}) || ${within(`c.${n}`)})`,
        fieldPath: '.search.candidates',
        reason: 'FieldValueInvalid',
        message: `for algorithm ${a}, ${n} must be ${allowedRange(s)} in every candidate`,
      });
      const r = `self.search.random.ranges.${n}`;
      rules.push({
        rule:
          `self.algorithm != '${a}' || !has(self.search) || !has(self.search.random) || !has(${r}) || ` +
          `((!has(${r}.min) || ${within(`${r}.min`)}) && (!has(${r}.max) || ${within(`${r}.max`)}) && ` +
          `(!has(${r}.values) || ${r}.values.all(v, ${within('v')})))`,
        fieldPath: `.search.random.ranges.${n}`,
        reason: 'FieldValueInvalid',
        message: `for algorithm ${a}, ${n} must be ${allowedRange(s)}: min, max and every value of its range`,
      });
    }
  }
  const { trees, depth } = HYPERPARAMETERS.gbdt;
  const t = `(has(self.hyperparameters.trees) ? self.hyperparameters.trees : ${trees.default})`;
  const d = `(has(self.hyperparameters.depth) ? self.hyperparameters.depth : ${depth.default})`;
  const powers = `[${Array.from({ length: depth.max + 1 }, (_, i) => 2 ** i).join(', ')}]`;
  const leaves = `${t} * ${powers}[${d}]`;
  const limit =
    `trees × 2^depth (the leaves per class) must be at most ${MAX_GBDT_LEAVES}, for example at most ` +
    `${MAX_GBDT_LEAVES / 2 ** depth.max} trees of depth ${depth.max} or ${MAX_GBDT_LEAVES / 2 ** depth.default} of depth ${depth.default}; lower trees or depth`;
  rules.push({
    rule: `self.algorithm != 'gbdt' || ${d} < ${depth.min} || ${d} > ${depth.max} || ${leaves} <= ${MAX_GBDT_LEAVES}`,
    fieldPath: '.hyperparameters',
    reason: 'FieldValueInvalid',
    message: limit,
  });
  // the same for each candidate as the trainer merges it over spec.hyperparameters (and the defaults)
  const ct = `(has(c.trees) ? c.trees : ${t})`;
  const cd = `(has(c.depth) ? c.depth : ${d})`;
  rules.push({
    rule:
      `self.algorithm != 'gbdt' || !has(self.search) || !has(self.search.candidates) || ` +
      `self.search.candidates.all(c, ${cd} < ${depth.min} || ${cd} > ${depth.max} || ${ct} * ${powers}[${cd}] <= ${MAX_GBDT_LEAVES})`,
    fieldPath: '.search.candidates',
    reason: 'FieldValueInvalid',
    message: `in every candidate merged over spec.hyperparameters, ${limit}`,
  });
  // a random search: the largest trees with the largest depth it can draw (ranges over spec.hyperparameters)
  const largest = (n: string, base: string) => {
    const r = `self.search.random.ranges.${n}`;
    return `(has(${r}) ? (has(${r}.values) ? ${r}.values.max() : (has(${r}.max) ? ${r}.max : ${base})) : ${base})`;
  };
  const rt = largest('trees', t);
  const rd = largest('depth', d);
  rules.push({
    rule:
      `self.algorithm != 'gbdt' || !has(self.search) || !has(self.search.random) || ` +
      `${rd} < ${depth.min} || ${rd} > ${depth.max} || ${rt} * ${powers}[${rd}] <= ${MAX_GBDT_LEAVES}`,
    fieldPath: '.search.random.ranges',
    reason: 'FieldValueInvalid',
    message:
      `the largest trees with the largest depth the ranges can draw (spec.hyperparameters' or the default where ` +
      `a range leaves one out) must have trees × 2^depth (the leaves per class) at most ${MAX_GBDT_LEAVES}, for ` +
      `example trees up to ${MAX_GBDT_LEAVES / 2 ** depth.max} with depth up to ${depth.max}; lower the largest trees or depth`,
  });
  return rules;
}

/** The generated regions, by the name their marker comments carry. */
export function generatedRegions(): Record<string, unknown> {
  return {
    'hyperparameter-rules': specRules(),
    hyperparameters: hyperparameterProperties(),
    'search-candidate': hyperparameterProperties(),
    'search-ranges': rangeProperties(),
  };
}

const BEGIN = /^( *)# generated: ([a-z-]+) \(make generate, from trainer\/hyperparameters\.ts\)$/;

/** The CRD text with every generated region rewritten, formatted as `prettier --write` would. */
export async function generateRpsModelCrd(text: string): Promise<string> {
  const regions = generatedRegions();
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    out.push(line);
    const m = BEGIN.exec(line);
    if (!m) continue;
    const [, indent, name] = m as unknown as [string, string, string];
    if (!(name in regions)) throw new Error(`unknown generated region ${name} in ${RPS_MODEL_CRD}`);
    const end = lines.findIndex((l, j) => j > i && l.trim() === `# end generated: ${name}`);
    if (end < 0) throw new Error(`generated region ${name} has no "# end generated: ${name}" line`);
    const yaml = dump(regions[name], { lineWidth: -1, noRefs: true }).trimEnd();
    out.push(...yaml.split('\n').map((l) => indent + l));
    out.push(lines[end]!);
    i = end;
  }
  const options = await resolveConfig(RPS_MODEL_CRD);
  return format(out.join('\n'), { ...options, filepath: RPS_MODEL_CRD });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const current = readFileSync(RPS_MODEL_CRD, 'utf8');
  const next = await generateRpsModelCrd(current);
  writeFileSync(RPS_MODEL_CRD, next);
  console.log(next === current ? `${RPS_MODEL_CRD} is current` : `wrote ${RPS_MODEL_CRD}`);
}
