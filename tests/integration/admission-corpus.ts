/**
 * Mistaken RpsModels and PromotionPolicies, each with what the API server must say about it: the
 * field, the value (where the API server prints it) and what is allowed. And edge cases it must admit.
 */
export type Kind = 'RpsModel' | 'PromotionPolicy';
export interface Invalid {
  what: string;
  kind: Kind;
  /** metadata.name, when the name itself is the mistake */
  name?: string;
  spec: Record<string, unknown>;
  says: RegExp[];
}

const model = (over: Record<string, unknown> = {}) => ({ displayName: 'Brian', algorithm: 'mlp', ...over });
const gbdt = (hyperparameters: Record<string, unknown>) => model({ algorithm: 'gbdt', hyperparameters });
const logistic = (hyperparameters: Record<string, unknown>) =>
  model({ algorithm: 'logistic', hyperparameters });
const mlp = (hyperparameters: Record<string, unknown>) => model({ hyperparameters });
const gbdtSearch = (ranges: Record<string, unknown>) =>
  model({ algorithm: 'gbdt', search: { random: { budget: 8, ranges } } });
const training = (t: Record<string, unknown>) => model({ training: t });
const trigger = (t: Record<string, unknown>) => training({ triggers: [t] });
const resources = (r: Record<string, unknown>) => training({ resources: r });
const policy = (over: Record<string, unknown> = {}) => ({ models: ['brian'], ...over });
const selector = (s: Record<string, unknown>) => ({ selector: s });

const m = (what: string, spec: Record<string, unknown>, ...says: RegExp[]): Invalid => ({
  what,
  kind: 'RpsModel',
  spec,
  says,
});
const p = (what: string, spec: Record<string, unknown>, ...says: RegExp[]): Invalid => ({
  what,
  kind: 'PromotionPolicy',
  spec,
  says,
});

/** An integer-written value at (beyond) every fractional bound, and the bound the message must show. */
const fractional: [string, string, number, string][] = [
  ['mlp', 'learningRate', 0, 'a number in \\[0\\.00001, 1\\]'],
  ['logistic', 'learningRate', 0, 'a number in \\[0\\.00001, 1\\]'],
  ['mlp', 'dropout', 1, 'a number in \\[0, 0\\.9\\]'],
  ['gbdt', 'eta', 0, 'a number in \\[0\\.001, 1\\]'],
  ['gbdt', 'subsample', 0, 'a number in \\[0\\.1, 1\\]'],
  ['gbdt', 'colsample', 0, 'a number in \\[0\\.1, 1\\]'],
];

export const INVALID: Invalid[] = [
  ...fractional.map(([algorithm, name, value, allowed]) =>
    m(
      `${name}: ${value} for ${algorithm}, an integer beyond a fractional bound`,
      model({ algorithm, hyperparameters: { [name]: value } }),
      new RegExp(`spec\\.hyperparameters\\.${name}: .*must be ${allowed}`),
    ),
  ),
  m(
    'dropout: 0.95, a fraction above the bound',
    mlp({ dropout: 0.95 }),
    /spec\.hyperparameters\.dropout: .*must be a number in \[0, 0\.9\]/,
  ),
  m(
    'learningRate: 0.000001, a fraction below the bound',
    mlp({ learningRate: 0.000001 }),
    /spec\.hyperparameters\.learningRate: .*must be a number in \[0\.00001, 1\]/,
  ),
  m(
    'a drift threshold of 0, an integer below 0.01',
    trigger({ type: 'drift', threshold: 0 }),
    /spec\.training\.triggers\[0\]\.threshold: .*must be a number in \[0\.01, 10\]/,
  ),
  m(
    'l2: 2 for mlp, inside logistic range but above mlp range',
    mlp({ l2: 2 }),
    /spec\.hyperparameters\.l2: .*for algorithm mlp, l2 must be a number in \[0, 1\]/,
  ),
  m(
    'l2: 11 for logistic',
    logistic({ l2: 11 }),
    /spec\.hyperparameters\.l2: Invalid value: 11: .*less than or equal to 10/,
  ),
  m(
    'an unknown algorithm',
    model({ algorithm: 'svm' }),
    /spec\.algorithm: Unsupported value: "svm": supported values: "mlp", "gbdt", "logistic"/,
  ),
  m(
    'a hyperparameter of another algorithm',
    mlp({ trees: 10 }),
    /spec\.hyperparameters\.trees: Forbidden: trees is a hyperparameter of algorithm gbdt only, not of mlp/,
  ),
  m(
    'a logistic hyperparameter on gbdt',
    gbdt({ classWeights: 'balanced' }),
    /spec\.hyperparameters\.classWeights: Forbidden: classWeights is a hyperparameter of algorithm logistic only, not of gbdt/,
  ),
  m(
    'batchSize of 4',
    mlp({ batchSize: 4 }),
    /spec\.hyperparameters\.batchSize: Invalid value: 4: .*greater than or equal to 8/,
  ),
  m(
    'epochs of 1.5',
    mlp({ epochs: 1.5 }),
    /spec\.hyperparameters\.epochs: Invalid value: "number": spec\.hyperparameters\.epochs in body must be of type integer/,
  ),
  m(
    'five hidden layers',
    mlp({ hiddenUnits: [8, 8, 8, 8, 8] }),
    /spec\.hyperparameters\.hiddenUnits: Too many: 5: must have at most 4 items/,
  ),
  m(
    'a hidden layer of 0 units',
    mlp({ hiddenUnits: [0] }),
    /spec\.hyperparameters\.hiddenUnits\[0\]: Invalid value: 0: .*greater than or equal to 1/,
  ),
  m(
    'an unknown class weighting',
    logistic({ classWeights: 'heavy' }),
    /spec\.hyperparameters\.classWeights: Unsupported value: "heavy": supported values: "none", "balanced"/,
  ),
  m(
    'gbdt depth 13',
    gbdt({ depth: 13 }),
    /spec\.hyperparameters\.depth: Invalid value: 13: .*less than or equal to 12/,
  ),
  m(
    'gbdt bins 1',
    gbdt({ bins: 1 }),
    /spec\.hyperparameters\.bins: Invalid value: 1: .*greater than or equal to 2/,
  ),
  m(
    'gbdt trees × 2^depth over the leaf limit',
    gbdt({ trees: 5000, depth: 12 }),
    /spec\.hyperparameters: .*trees × 2\^depth \(the leaves per class\) must be at most 1048576/,
  ),
  m(
    'gbdt trees over the leaf limit at the default depth',
    gbdt({ trees: 5000, depth: 8 }),
    /spec\.hyperparameters: .*must be at most 1048576.*lower trees or depth/,
  ),
  m(
    'a search candidate over the leaf limit once merged over spec.hyperparameters',
    model({
      algorithm: 'gbdt',
      hyperparameters: { trees: 20, depth: 3 },
      search: { candidates: [{ trees: 10 }, { trees: 1000, depth: 12 }] },
    }),
    /spec\.search\.candidates: .*in every candidate merged over spec\.hyperparameters, trees × 2\^depth \(the leaves per class\) must be at most 1048576/,
  ),
  m(
    "a search candidate's depth with spec.hyperparameters' trees over the leaf limit",
    model({
      algorithm: 'gbdt',
      hyperparameters: { trees: 5000, depth: 2 },
      search: { candidates: [{ depth: 12 }] },
    }),
    /spec\.search\.candidates: .*must be at most 1048576.*lower trees or depth/,
  ),
  m(
    'a displayName of spaces',
    model({ displayName: '   ' }),
    /spec\.displayName: .*must contain a visible character, got " {3}"/,
  ),
  m(
    'an empty displayName',
    model({ displayName: '' }),
    /spec\.displayName: Invalid value: "": .*at least 1 chars long/,
  ),
  m(
    'a displayName of 41 characters',
    model({ displayName: 'x'.repeat(41) }),
    /spec\.displayName: Too long: may not be more than 40 bytes/,
  ),
  m('no displayName', { algorithm: 'mlp' }, /spec\.displayName: Required value/),
  m(
    'a feature set that does not exist',
    model({ featureSet: 'rps-features/v3' }),
    /spec\.featureSet: Unsupported value: "rps-features\/v3": supported values: "rps-features\/v1", "rps-features\/v2"/,
  ),
  m(
    'a schedule that is not cron',
    training({ schedule: 'every day' }),
    /spec\.training\.schedule: .*five fields .*got "every day"/,
  ),
  m(
    'a cron schedule with six fields',
    training({ schedule: '0 0 3 * * *' }),
    /spec\.training\.schedule: .*five fields .*got "0 0 3 \* \* \*"/,
  ),
  m(
    'minute 61 and hour 25',
    training({ schedule: '61 25 * * *' }),
    /spec\.training\.schedule: .*the minute \(first\) field must be 0-59.*got "61"/,
    /the hour \(second\) field must be 0-23.*got "25"/,
  ),
  m(
    'a step of 0',
    training({ schedule: '*/0 * * * *' }),
    /spec\.training\.schedule: .*minute \(first\) field .*step from 1 to 99.*got "\*\/0"/,
  ),
  m(
    'a reversed range 5-1',
    training({ schedule: '5-1 * * * *' }),
    /spec\.training\.schedule: .*every range a-b must have a at most b.*got "5-1 \* \* \* \*"/,
  ),
  m(
    'a month named FOO',
    training({ schedule: '0 0 1 FOO *' }),
    /spec\.training\.schedule: .*month \(fourth\) field must be 1-12 or JAN-DEC.*got "FOO"/,
  ),
  m(
    'day-of-month 32',
    training({ schedule: '0 0 32 * *' }),
    /spec\.training\.schedule: .*day-of-month \(third\) field must be 1-31.*got "32"/,
  ),
  m(
    'day-of-week 8',
    training({ schedule: '0 0 * * 8' }),
    /spec\.training\.schedule: .*day-of-week \(fifth\) field must be 0-7.*got "8"/,
  ),
  m(
    'month 0 in a list',
    training({ schedule: '0 0 1 0,6 *' }),
    /spec\.training\.schedule: .*month \(fourth\) field.*got "0,6"/,
  ),
  m(
    'an unknown macro',
    training({ schedule: '@sometimes' }),
    /spec\.training\.schedule: .*@hourly, @daily.*got "@sometimes"/,
  ),
  m(
    'a schedule of 87 characters',
    training({ schedule: `${Array.from({ length: 30 }, (_, i) => i).join(',')} * * * *` }),
    /spec\.training\.schedule: .*may not be more than 64 bytes/,
  ),
  // cron-parser takes these; admission and the operator (operator/decisions/cron-rule.ts) refuse them
  ...(
    [
      ['0 0 31 2 *', 'the 31st of February', '"31" in "2"'],
      ['0 0 30-31 2 *', 'the 30th to the 31st of February', '"30-31" in "2"'],
      ['0 0 31 apr,JUN,9,11 *', 'the 31st of the 30-day months', '"31" in "apr,JUN,9,11"'],
      ['0 0 31 4-6/2 *', 'the 31st of April and June', '"31" in "4-6/2"'],
    ] as const
  ).map(([schedule, what, got]) =>
    m(
      `a schedule for a day that never occurs: ${what}`,
      training({ schedule }),
      new RegExp(
        `spec\\.training\\.schedule: .*the day-of-month \\(third\\) field allows no day that the months of the month \\(fourth\\) field have \\(February has at most 29 days\\); got ${got}`,
      ),
    ),
  ),
  ...(
    [
      ['0 0 L * *', 'day-of-month \\(third\\)', '"L"'],
      ['0 0 15W * *', 'day-of-month \\(third\\)', '"15W"'],
      ['0 0 * * 5#2', 'day-of-week \\(fifth\\)', '"5#2"'],
      ['0 0 * * 5L', 'day-of-week \\(fifth\\)', '"5L"'],
    ] as const
  ).map(([schedule, field, got]) =>
    m(
      `cron's ${schedule.split(' ')[2] === '*' ? 'L or #' : 'L or W'} (${schedule})`,
      training({ schedule }),
      new RegExp(`spec\\.training\\.schedule: .*the ${field} field must be .*got ${got}`),
    ),
  ),
  m(
    'a window of 30s1m (seconds before minutes)',
    trigger({ type: 'accuracyDrop', window: '30s1m' }),
    /spec\.training\.triggers\[0\]\.window: .*hours, minutes and seconds in that order.*got "30s1m"/,
  ),
  m(
    'a window of 5m5m',
    trigger({ type: 'accuracyDrop', window: '5m5m' }),
    /spec\.training\.triggers\[0\]\.window: .*got "5m5m"/,
  ),
  m(
    'a window of 30s, below 1m',
    trigger({ type: 'accuracyDrop', window: '30s' }),
    /spec\.training\.triggers\[0\]\.window: .*from 1m to 720h, got "30s"/,
  ),
  m(
    'a window in days',
    trigger({ type: 'accuracyDrop', window: '2d' }),
    /spec\.training\.triggers\[0\]\.window: .*got "2d"/,
  ),
  m(
    'an empty window',
    trigger({ type: 'accuracyDrop', window: '' }),
    /spec\.training\.triggers\[0\]\.window: .*got ""/,
  ),
  m(
    'a drift threshold on the accuracyDrop trigger',
    trigger({ type: 'accuracyDrop', threshold: 0.3 }),
    /spec\.training\.triggers\[0\]\.threshold: Forbidden: threshold belongs to the drift trigger only/,
  ),
  m(
    'points on the drift trigger',
    trigger({ type: 'drift', points: 5 }),
    /spec\.training\.triggers\[0\]\.points: Forbidden: points belongs to the accuracyDrop trigger only/,
  ),
  m(
    'the same trigger twice',
    training({ triggers: [{ type: 'drift' }, { type: 'drift', threshold: 0.3 }] }),
    /spec\.training\.triggers\[1\]: Duplicate value/,
  ),
  m(
    'an unknown trigger',
    trigger({ type: 'weekly' }),
    /spec\.training\.triggers\[0\]\.type: Unsupported value: "weekly": supported values: "schedule", "drift", "accuracyDrop"/,
  ),
  m(
    'an accuracy drop of 150 points',
    trigger({ type: 'accuracyDrop', points: 150 }),
    /spec\.training\.triggers\[0\]\.points: Invalid value: 150: .*less than or equal to 100/,
  ),
  m(
    'the schedule trigger without a schedule',
    trigger({ type: 'schedule' }),
    /spec\.training\.triggers: Required value: the schedule trigger needs training\.schedule/,
  ),
  m(
    'a retry delay cap below the delay',
    training({ retryDelaySeconds: 60, maxRetryDelaySeconds: 10 }),
    /spec\.training\.maxRetryDelaySeconds: .*must be at least retryDelaySeconds/,
  ),
  m(
    'a retry delay of 0',
    training({ retryDelaySeconds: 0 }),
    /spec\.training\.retryDelaySeconds: Invalid value: 0: .*greater than or equal to 1/,
  ),
  m(
    'an activeDeadlineSeconds of 10',
    training({ activeDeadlineSeconds: 10 }),
    /spec\.training\.activeDeadlineSeconds: Invalid value: 10: .*greater than or equal to 30/,
  ),
  m(
    'a negative seed',
    training({ seed: -1 }),
    /spec\.training\.seed: Invalid value: -1: .*greater than or equal to 0/,
  ),
  m(
    'maxEvents of 50',
    training({ maxEvents: 50 }),
    /spec\.training\.maxEvents: Invalid value: 50: .*greater than or equal to 100/,
  ),
  m(
    'a cpu request above its limit',
    resources({ requests: { cpu: '2' }, limits: { cpu: '500m' } }),
    /spec\.training\.resources\.requests: .*each request must be at most the limit of the same resource/,
  ),
  m(
    'a memory request above its limit',
    resources({ requests: { memory: '2Gi' }, limits: { memory: '1Gi' } }),
    /spec\.training\.resources\.requests: .*at most the limit/,
  ),
  m(
    'a negative memory request',
    resources({ requests: { memory: '-1Gi' } }),
    /spec\.training\.resources\.requests\[memory\]: .*must be a non-negative quantity.*got "-1Gi"/,
  ),
  m(
    'a cpu limit that is not a quantity',
    resources({ limits: { cpu: 'two' } }),
    /spec\.training\.resources\.limits\[cpu\]: .*must be a non-negative quantity such as 500m, 2 or 1Gi, got "two"/,
  ),
  m(
    'a misspelled resource name',
    resources({ requests: { cpus: '1' } }),
    /spec\.training\.resources\.requests: .*resource names are cpu, memory, ephemeral-storage/,
  ),
  m(
    'a misspelled limit name',
    resources({ limits: { mem: '1Gi' } }),
    /spec\.training\.resources\.limits: .*resource names are cpu, memory/,
  ),
  m(
    'keepVersions of 0',
    model({ retention: { keepVersions: 0 } }),
    /spec\.retention\.keepVersions: Invalid value: 0: .*greater than or equal to 1/,
  ),
  m(
    'keepVersions of 51',
    model({ retention: { keepVersions: 51 } }),
    /spec\.retention\.keepVersions: Invalid value: 51: .*less than or equal to 50/,
  ),
  m(
    'a deployment name that is not a DNS label',
    model({ serving: { deploymentName: 'Game_Server' } }),
    /spec\.serving\.deploymentName: Invalid value: "Game_Server": .*should match/,
  ),
  m(
    'a pin that is not vN',
    model({ aliases: { Production: '3' } }),
    /spec\.aliases\.Production: Invalid value: "3": .*should match '\^v\[1-9\]\[0-9\]\*\$'/,
  ),
  m('a pin to v0', model({ aliases: { B: 'v0' } }), /spec\.aliases\.B: Invalid value: "v0": .*should match/),
  m(
    'a search of both kinds',
    model({ search: { candidates: [{}], random: { budget: 2, ranges: {} } } }),
    /spec\.search: .*search needs exactly one of candidates or random/,
  ),
  m(
    'a search budget of 65',
    model({ search: { random: { budget: 65, ranges: {} } } }),
    /spec\.search\.random\.budget: Invalid value: 65: .*less than or equal to 64/,
  ),
  m(
    'a search range of another algorithm',
    model({ search: { random: { budget: 2, ranges: { trees: { min: 1, max: 9 } } } } }),
    /spec\.search: Forbidden: search uses trees, a hyperparameter of algorithm gbdt only, not of mlp/,
  ),
  m(
    'a search candidate of another algorithm',
    model({ search: { candidates: [{ eta: 0.1 }] } }),
    /spec\.search: Forbidden: search uses eta, a hyperparameter of algorithm gbdt only, not of mlp/,
  ),
  m(
    'a search range with min above max',
    model({ search: { random: { budget: 2, ranges: { dropout: { min: 0.5, max: 0.1 } } } } }),
    /spec\.search\.random\.ranges\.dropout: .*min must not be above max/,
  ),
  m(
    'a search range beyond the hyperparameter range',
    model({ search: { random: { budget: 2, ranges: { dropout: { min: 0.1, max: 1 } } } } }),
    /spec\.search\.random\.ranges\.dropout\.max: .*must be a number in \[0, 0\.9\]/,
  ),
  m(
    'a log search range from 0',
    model({ search: { random: { budget: 2, ranges: { l2: { min: 0, max: 0.1, log: true } } } } }),
    /spec\.search\.random\.ranges\.l2: .*a log range needs min above 0/,
  ),
  m(
    'an integer log range without integer: true',
    model({ search: { random: { budget: 2, ranges: { batchSize: { min: 16, max: 512, log: true } } } } }),
    /spec\.search\.random\.ranges\.batchSize: .*batchSize is an integer: a log range needs integer: true/,
  ),
  m(
    'a search range with neither bounds nor values',
    model({ search: { random: { budget: 2, ranges: { dropout: { log: true } } } } }),
    /spec\.search\.random\.ranges\.dropout: .*set min and max, or values/,
  ),
  // a random search: every draw must be a set the trainer takes
  m(
    'a search range starting at 0, below learningRate’s fractional minimum',
    model({ search: { random: { budget: 2, ranges: { learningRate: { min: 0, max: 0.1 } } } } }),
    /spec\.search\.random\.ranges\.learningRate\.min: .*must be a number in \[0\.00001, 1\]/,
  ),
  m(
    'a gbdt eta range from 0',
    gbdtSearch({ eta: { min: 0, max: 0.3 } }),
    /spec\.search\.random\.ranges\.eta\.min: .*must be a number in \[0\.001, 1\]/,
  ),
  m(
    'a search value beyond the hyperparameter range',
    model({ search: { random: { budget: 2, ranges: { dropout: { values: [0.5, 1] } } } } }),
    /spec\.search\.random\.ranges\.dropout\.values\[1\]: .*must be a number in \[0, 0\.9\]/,
  ),
  m(
    'an integer hyperparameter’s range with a fractional end',
    model({ search: { random: { budget: 2, ranges: { epochs: { min: 1.5, max: 10 } } } } }),
    /spec\.search\.random\.ranges\.epochs\.min: .*must be of type integer/,
  ),
  m(
    'integer: true on fractional ends (a draw of 0.3 rounds to 0, below subsample’s 0.1)',
    gbdtSearch({ subsample: { min: 0.1, max: 0.9, integer: true } }),
    /spec\.search\.random\.ranges\.subsample: .*integer: true rounds each draw, so min and max must be whole numbers within subsample's range \(a number in \[0\.1, 1\]\)/,
  ),
  m(
    'integer: true on a dropout range up to 0.9 (0.6 rounds to 1)',
    model({ search: { random: { budget: 2, ranges: { dropout: { min: 0, max: 0.9, integer: true } } } } }),
    /spec\.search\.random\.ranges\.dropout: .*min and max must be whole numbers within dropout's range \(a number in \[0, 0\.9\]\)/,
  ),
  m(
    'an integer range with min above max',
    model({ search: { random: { budget: 2, ranges: { batchSize: { min: 512, max: 16 } } } } }),
    /spec\.search\.random\.ranges\.batchSize: .*min must not be above max/,
  ),
  m(
    'log with values',
    model({ search: { random: { budget: 2, ranges: { dropout: { values: [0.1, 0.2], log: true } } } } }),
    /spec\.search\.random\.ranges\.dropout: .*log and integer shape a min-max range: with values, leave them out/,
  ),
  m(
    'a range for classWeights',
    model({
      algorithm: 'logistic',
      search: { random: { budget: 2, ranges: { classWeights: { min: 0, max: 1 } } } },
    }),
    /spec\.search\.random\.ranges\.classWeights: .*classWeights takes values \(a list to pick from\)/,
  ),
  m(
    'an mlp l2 range reaching into logistic’s range',
    model({ search: { random: { budget: 2, ranges: { l2: { min: 0, max: 5 } } } } }),
    /spec\.search\.random\.ranges\.l2: .*for algorithm mlp, l2 must be a number in \[0, 1\]: min, max and every value of its range/,
  ),
  m(
    'an mlp l2 value above 1',
    model({ search: { random: { budget: 2, ranges: { l2: { values: [0.5, 2] } } } } }),
    /spec\.search\.random\.ranges\.l2: .*for algorithm mlp, l2 must be a number in \[0, 1\]: min, max and every value/,
  ),
  m(
    'gbdt ranges whose largest corner breaks the leaf limit',
    gbdtSearch({ trees: { min: 100, max: 1000 }, depth: { min: 4, max: 12 } }),
    /spec\.search\.random\.ranges: .*the largest trees with the largest depth the ranges can draw .*must have trees × 2\^depth \(the leaves per class\) at most 1048576/,
  ),
  m(
    'gbdt trees values with spec.hyperparameters’ depth over the leaf limit',
    model({
      algorithm: 'gbdt',
      hyperparameters: { depth: 12 },
      search: { random: { budget: 2, ranges: { trees: { values: [100, 300] } } } },
    }),
    /spec\.search\.random\.ranges: .*the largest trees with the largest depth .*at most 1048576/,
  ),
  m(
    'a gbdt depth range with spec.hyperparameters’ trees over the leaf limit',
    model({
      algorithm: 'gbdt',
      hyperparameters: { trees: 5000 },
      search: { random: { budget: 2, ranges: { depth: { min: 1, max: 8 } } } },
    }),
    /spec\.search\.random\.ranges: .*\(spec\.hyperparameters' or the default where a range leaves one out\).*lower the largest trees or depth/,
  ),
  m(
    'a search budget of 0',
    model({ search: { random: { budget: 0, ranges: { dropout: { min: 0, max: 0.5 } } } } }),
    /spec\.search\.random\.budget: Invalid value: 0: .*greater than or equal to 1/,
  ),
  m(
    'a random search without ranges',
    model({ search: { random: { budget: 4 } } }),
    /spec\.search\.random\.ranges: Required value/,
  ),
  m(
    'a search candidate out of range',
    model({ search: { candidates: [{ dropout: 1 }] } }),
    /spec\.search\.candidates\[0\]\.dropout: .*must be a number in \[0, 0\.9\]/,
  ),
  m(
    'a search candidate with mlp l2 of 3',
    model({ search: { candidates: [{ l2: 3 }] } }),
    /spec\.search\.candidates: .*for algorithm mlp, l2 must be a number in \[0, 1\] in every candidate/,
  ),
  {
    ...m('a name too long for its training Jobs', model()),
    name: 'a'.repeat(51),
    says: [/metadata\.name "a{51}" must be a DNS label .* of at most 50 characters/],
  },
  {
    ...m('a name with a dot', model()),
    name: 'brian.v2',
    says: [/metadata\.name "brian\.v2" must be a DNS label/],
  },
  p(
    'a traffic split not summing to 1',
    policy({ trafficSplit: { Production: 0.7, B: 0.7 } }),
    /spec\.trafficSplit: .*Production and B must sum to 1/,
  ),
  p(
    'a traffic share above 1',
    policy({ trafficSplit: { Production: 1.5, B: -0.5 } }),
    /spec\.trafficSplit\.Production: Invalid value: 1\.5: .*less than or equal to 1/,
  ),
  p(
    'an unknown mode',
    policy({ mode: 'Auto' }),
    /spec\.mode: Unsupported value: "Auto": supported values: "Automatic", "DryRun", "Manual"/,
  ),
  p(
    'both models and a selector',
    policy({ selector: { matchLabels: { a: 'b' } } }),
    /spec: .*set exactly one of models .* or selector/,
  ),
  p('neither models nor a selector', { interval: '5m' }, /spec: .*set exactly one of models/),
  p(
    'two tests at once',
    policy({ test: { twoProportionZ: {}, leadAfterGames: {} } }),
    /spec\.test: .*set exactly one of twoProportionZ or leadAfterGames/,
  ),
  p(
    'alpha of 0',
    policy({ test: { twoProportionZ: { alpha: 0 } } }),
    /spec\.test\.twoProportionZ\.alpha: .*must be a number above 0 and at most 0\.5/,
  ),
  p(
    'alpha of 1, an integer above 0.5',
    policy({ test: { twoProportionZ: { alpha: 1 } } }),
    /spec\.test\.twoProportionZ\.alpha: .*must be a number above 0 and at most 0\.5/,
  ),
  p(
    'minGames of 0',
    policy({ test: { twoProportionZ: { minGames: 0 } } }),
    /spec\.test\.twoProportionZ\.minGames: Invalid value: 0: .*greater than or equal to 1/,
  ),
  p(
    'an interval that is not a duration',
    policy({ interval: '5 minutes' }),
    /spec\.interval: .*hours, minutes and seconds in that order.*got "5 minutes"/,
  ),
  p('an interval of 30s1m', policy({ interval: '30s1m' }), /spec\.interval: .*got "30s1m"/),
  p('an interval of 5m5m', policy({ interval: '5m5m' }), /spec\.interval: .*got "5m5m"/),
  p('an interval below 5s', policy({ interval: '1s' }), /spec\.interval: .*from 5s to 168h, got "1s"/),
  p('an interval above 168h', policy({ interval: '169h' }), /spec\.interval: .*from 5s to 168h, got "169h"/),
  p(
    'new versions entering Production',
    policy({ newVersionAlias: 'Production' }),
    /spec\.newVersionAlias: Unsupported value: "Production": supported values: "B", "Shadow1", "Shadow2"/,
  ),
  p(
    'an entry gate deficit of 101 points',
    policy({ entryGate: { maxAccuracyDeficit: 101 } }),
    /spec\.entryGate\.maxAccuracyDeficit: Invalid value: 101: .*less than or equal to 100/,
  ),
  p(
    'an entry gate without its deficit',
    policy({ entryGate: {} }),
    /spec\.entryGate\.maxAccuracyDeficit: Required value/,
  ),
  p(
    'a model name that is not a DNS label',
    policy({ models: ['Brian'] }),
    /spec\.models\[0\]: Invalid value: "Brian": .*should match/,
  ),
  p(
    'an In expression without values',
    selector({ matchExpressions: [{ key: 'a', operator: 'In' }] }),
    /spec\.selector\.matchExpressions\[0\]: .*need values/,
  ),
  p(
    'an unknown selector operator',
    selector({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }),
    /spec\.selector\.matchExpressions\[0\]\.operator: Unsupported value: "Gt"/,
  ),
  p(
    'a selector key with a space',
    selector({ matchExpressions: [{ key: 'team name', operator: 'Exists' }] }),
    /spec\.selector\.matchExpressions\[0\]\.key: .*must be a label key.*got "team name"/,
  ),
  p(
    'a selector key with two slashes',
    selector({ matchExpressions: [{ key: 'a/b/c', operator: 'Exists' }] }),
    /spec\.selector\.matchExpressions\[0\]\.key: .*got "a\/b\/c"/,
  ),
  p(
    'a selector value with a space',
    selector({ matchExpressions: [{ key: 'team', operator: 'In', values: ['a b'] }] }),
    /spec\.selector\.matchExpressions\[0\]\.values\[0\]: Invalid value: "a b": .*should match/,
  ),
  p(
    'a matchLabels key ending in a dash',
    selector({ matchLabels: { 'team-': 'x' } }),
    /spec\.selector\.matchLabels: .*every key must be a label key/,
  ),
  p(
    'a matchLabels value of 64 characters',
    selector({ matchLabels: { team: 'x'.repeat(64) } }),
    /spec\.selector\.matchLabels\.team: Too long: may not be more than 63 bytes/,
  ),
  p(
    'a matchLabels value starting with a dot',
    selector({ matchLabels: { team: '.x' } }),
    /spec\.selector\.matchLabels\.team: Invalid value: "\.x": .*should match/,
  ),
];

export interface Valid {
  what: string;
  kind: Kind;
  name?: string;
  spec: Record<string, unknown>;
}
const vm = (what: string, spec: Record<string, unknown>, name?: string): Valid => ({
  what,
  kind: 'RpsModel',
  spec,
  ...(name ? { name } : {}),
});
const vp = (what: string, spec: Record<string, unknown>): Valid => ({ what, kind: 'PromotionPolicy', spec });

export const VALID: Valid[] = [
  vm(
    'every fractional bound written as a number at the bound',
    mlp({ learningRate: 0.00001, dropout: 0.9, l2: 1 }),
  ),
  vm('integer-written values inside fractional ranges', mlp({ learningRate: 1, dropout: 0 })),
  vm(
    'gbdt at the edges of its ranges',
    gbdt({ eta: 0.001, subsample: 0.1, colsample: 1, depth: 12, trees: 256 }),
  ),
  vm('gbdt at the leaf limit exactly', gbdt({ trees: 65536 / 16, depth: 8 })),
  vm(
    'search candidates at the leaf limit exactly, merged over spec.hyperparameters',
    model({
      algorithm: 'gbdt',
      hyperparameters: { trees: 256, depth: 3 },
      search: { candidates: [{ depth: 12 }, { trees: 4096, depth: 8 }] },
    }),
  ),
  vm('logistic l2 of 10', logistic({ l2: 10, classWeights: 'balanced' })),
  vm('a name of exactly 50 characters', model(), 'a'.repeat(50)),
  vm('a displayName with inner spaces', model({ displayName: ' Dr. Brian ' })),
  vm('cron names, ranges, steps and lists', training({ schedule: '0,30 */6 1-15 JAN-jun MON-FRI' })),
  vm('cron with ? and day-of-week 7', training({ schedule: '59 23 ? 12 7' })),
  vm('a cron macro', training({ schedule: '@daily' })),
  vm('the 29th of February (leap years)', training({ schedule: '0 0 29 2 *' })),
  vm('the 31st of February or a Monday (either day field fires)', training({ schedule: '0 0 31 2 MON' })),
  vm(
    'the 31st of February or every other day of week (*/2 restricts the day of week too)',
    training({ schedule: '0 0 31 2 */2' }),
  ),
  vm('the 31st of any month the list has one in', training({ schedule: '0 0 30,31 feb,MAR *' })),
  vm('the 31st in every other month from February', training({ schedule: '0 0 31 2/2 *' })),
  vm('only maxRetryDelaySeconds set, below the default delay', training({ maxRetryDelaySeconds: 10 })),
  vm('only retryDelaySeconds set, above nothing', training({ retryDelaySeconds: 3600 })),
  vm('a window of 1h30m and 720h', training({ triggers: [{ type: 'accuracyDrop', window: '1h30m' }] })),
  vm('drift threshold at 0.01', trigger({ type: 'drift', threshold: 0.01 })),
  vm(
    'resources with integer cpu, extended and hugepages',
    resources({
      requests: { cpu: 1, memory: '512Mi', 'example.com/gpu': 1 },
      limits: { cpu: '1', memory: '1Gi', 'hugepages-2Mi': '0' },
    }),
  ),
  vm(
    'a search with values and a log integer range',
    model({
      search: {
        random: {
          budget: 4,
          ranges: {
            hiddenUnits: { values: [[32], [64, 32]] },
            batchSize: { min: 16, max: 512, log: true, integer: true },
          },
        },
      },
    }),
  ),
  vm(
    'gbdt ranges at the leaf limit exactly at their largest corner',
    gbdtSearch({ trees: { min: 1, max: 256 }, depth: { min: 1, max: 12 } }),
  ),
  vm(
    'gbdt values at the leaf limit exactly, budget 64',
    model({
      algorithm: 'gbdt',
      search: {
        random: { budget: 64, seed: 7, ranges: { trees: { values: [64, 4096] }, depth: { values: [2, 8] } } },
      },
    }),
  ),
  vm('a gbdt depth range up to 12 with the default 200 trees', gbdtSearch({ depth: { min: 1, max: 12 } })),
  vm(
    'fractional ranges at their bounds, one on a log scale',
    gbdtSearch({
      eta: { min: 0.001, max: 1, log: true },
      subsample: { min: 0.1, max: 1 },
      colsample: { values: [0.1, 1] },
    }),
  ),
  vm(
    'learningRate on a log scale from its minimum, budget 1',
    model({
      search: { random: { budget: 1, ranges: { learningRate: { min: 0.00001, max: 1, log: true } } } },
    }),
  ),
  vm(
    'integer: true on whole-number ends of a number hyperparameter',
    model({
      algorithm: 'logistic',
      search: { random: { budget: 4, ranges: { l2: { min: 0, max: 10, integer: true } } } },
    }),
  ),
  vm(
    'an mlp l2 range and values inside mlp’s range',
    model({
      search: {
        random: { budget: 4, ranges: { l2: { min: 0, max: 1 }, dropout: { values: [0, 0.9] } } },
      },
    }),
  ),
  vp(
    'an interval of 168h and alpha of 0.5',
    policy({ interval: '168h', test: { twoProportionZ: { alpha: 0.5 } } }),
  ),
  vp('an interval of 1h30m5s', policy({ interval: '1h30m5s' })),
  vp(
    'a selector with prefixed keys and empty values',
    selector({
      matchLabels: { 'rpsquest.dev/team': '', app: 'a.b_c-d' },
      matchExpressions: [{ key: 'example.com/tier', operator: 'NotIn', values: ['x'] }],
    }),
  ),
  vp('a traffic split written as integers', policy({ trafficSplit: { Production: 1, B: 0 } })),
];
