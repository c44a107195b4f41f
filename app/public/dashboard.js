// @ts-check
// RPS Quest live dashboard: polls /api/v1/dashboard and draws with uPlot (vendored, MIT).
import { ALIAS_COLORS, AXIS, Chart, fmtP, pct, percentAxis, plots, timeAxis } from './dashboard-charts.js';
import { renderDrift } from './dashboard-drift.js';
import { byId, el } from './dom.js';

/** @import uPlot from 'uplot' */
/** @import { AccuracySeries, DashboardBot, DashboardData } from '../../core/dashboard-api.ts' */
/** @import { DriftView } from './dashboard-drift.js' */
/**
 * A bot's part of the page, kept across polls.
 * @typedef {DriftView & {
 *   root: HTMLElement; aliases: HTMLElement; split: HTMLElement; accSub: HTMLElement; accChart: Chart;
 *   abSummary: HTMLElement; abChart: Chart; inputs: HTMLElement; changeList: HTMLElement;
 * }} BotView
 */

const POLL_MS = 5000;
const RETIRED_COLOR = '#7d879c';
/** @type {Record<string, string>} */
const ALGORITHMS = { mlp: 'neural network', gbdt: 'boosted trees', logistic: 'logistic regression' };

const $ = byId;
const clock = (/** @type {number} */ ms) =>
  new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** Per bot: its DOM and its charts, kept across polls. @type {Map<string, BotView>} */
const views = new Map();
let peopleOnly = false;
/** @type {number | undefined} */
let timer;

/** @param {string} title @param {string} [subtitle] */
function card(title, subtitle) {
  const c = el('section', 'card');
  const head = el('div', 'card-head');
  head.append(el('h3', '', title));
  const sub = el('span', 'card-sub', subtitle || '');
  head.append(sub);
  c.append(head);
  const body = el('div', 'card-body');
  c.append(body);
  return { root: c, sub, body };
}

/** @param {AccuracySeries} series */
function versionColor(series) {
  const alias = series.aliases[0];
  return alias ? ALIAS_COLORS[alias] : RETIRED_COLOR;
}

/** @param {DashboardBot} bot @returns {BotView} */
function createView(bot) {
  const root = el('article', 'bot');
  root.dataset.bot = bot.model;
  const head = el('header', 'bot-head');
  const name = el('div', 'bot-name');
  name.append(el('h2', '', bot.displayName), el('span', 'kind', ALGORITHMS[bot.algorithm] || bot.algorithm));
  const aliases = el('div', 'aliases');
  const split = el('span', 'split');
  head.append(name, aliases, split);

  const grid = el('div', 'grid');
  const acc = card('Prediction accuracy', 'per version');
  const ab = card('Production vs B', 'bot win rate · p-value');
  const changes = card('Promotions and alias changes', 'seen by this server');
  const drift = card('Drift', 'PSI against the training rows');
  const moves = card('Player moves', 'training vs recent');
  const inputs = el('p', 'note inputs');
  moves.root.append(inputs);
  const features = card('Features', 'largest PSI first');
  grid.append(acc.root, ab.root, changes.root, drift.root, moves.root, features.root);
  root.append(head, grid);

  const abSummary = el('p', 'summary');
  ab.body.append(abSummary);
  const driftStatus = el('div', 'drift-status');
  drift.body.append(driftStatus);
  const changeList = el('ol', 'changes');
  changes.body.append(changeList);

  const view = {
    root,
    aliases,
    split,
    accSub: acc.sub,
    accChart: new Chart(acc.body, 'No predictions yet: play a game from round 4 on.'),
    abSummary,
    abChart: new Chart(ab.body, 'Needs both a Production and a B version with finished games.'),
    driftSub: drift.sub,
    driftStatus,
    driftChart: new Chart(drift.body, 'No drift checks yet.'),
    moves: moves.body,
    inputs,
    features: features.body,
    changeList,
  };
  acc.root.dataset.chart = 'accuracy';
  ab.root.dataset.chart = 'ab';
  drift.root.dataset.chart = 'drift';
  return view;
}

/** @param {BotView} view @param {DashboardBot} bot */
function renderAliases(view, bot) {
  view.aliases.replaceChildren(
    ...bot.aliases.map(({ alias, version }) => {
      const chip = el('span', `chip${version ? '' : ' none'}`);
      chip.dataset.alias = alias;
      chip.style.setProperty('--c', ALIAS_COLORS[alias]);
      chip.append(el('span', 'alias', alias), el('span', 'version', version || '—'));
      return chip;
    }),
  );
  const { Production, B } = bot.trafficSplit;
  view.split.textContent = `traffic ${Production}/${B}`;
}

/** @param {BotView} view @param {DashboardBot} bot */
function renderAccuracy(view, bot) {
  const { series, bucketSize } = bot.accuracy;
  view.accSub.textContent = `per ${bucketSize} predictions`;
  const drawn = series.filter((s) => s.points.length > 0);
  const tables = drawn.map(
    (s) =>
      /** @type {uPlot.AlignedData} */ ([s.points.map((p) => p.t / 1000), s.points.map((p) => p.accuracy)]),
  );
  /** @type {uPlot.AlignedData} */
  const data = tables.length ? plots().join(tables) : [[]];
  const key = drawn.map((s) => `${s.version}:${s.aliases.join('+')}`).join(',');
  view.accChart.update(
    key,
    () => ({
      scales: { x: { time: true }, acc: { range: [0, 1] } },
      axes: [timeAxis(), percentAxis('acc', 3)],
      series: [
        {},
        ...drawn.map((s) => ({
          label: `${s.version}${s.aliases.length ? ` (${s.aliases.join(', ')})` : ''}`,
          scale: 'acc',
          stroke: versionColor(s),
          width: 2,
          spanGaps: true,
          points: { show: s.points.length < 3, size: 6 },
          value: (/** @type {uPlot} */ _u, /** @type {number | null} */ v) => pct(v),
        })),
      ],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    }),
    data,
    drawn.length > 0,
  );
}

/** @param {BotView} view @param {DashboardBot} bot */
function renderAb(view, bot) {
  const ab = bot.abTest;
  if (!ab) {
    view.abSummary.textContent = bot.aliases.find((a) => a.alias === 'B')?.version
      ? 'Production and B serve the same version.'
      : 'No B version is being tested.';
    view.abChart.update('', () => ({ series: [] }), [[]], false);
    return;
  }
  const rate = (/** @type {number} */ wins, /** @type {number} */ games) =>
    games ? `${pct(wins / games)} of ${games}` : 'no games';
  view.abSummary.replaceChildren(
    el('span', 'pill prod', `Production ${ab.production}: ${rate(ab.productionWins, ab.productionGames)}`),
    el('span', 'pill b', `B ${ab.b}: ${rate(ab.bWins, ab.bGames)}`),
    el('span', 'pill p', `p = ${fmtP(ab.pValue)}`),
  );
  const x = ab.points.map((p) => p.t / 1000);
  /** @type {uPlot.AlignedData} */
  const data = [
    x,
    ab.points.map((p) => (p.productionGames ? p.productionRate : null)),
    ab.points.map((p) => (p.bGames ? p.bRate : null)),
    ab.points.map((p) => p.pValue),
    ab.points.map(() => 0.05),
  ];
  view.abChart.update(
    `${ab.production}/${ab.b}`,
    () => ({
      scales: { x: { time: true }, rate: { range: [0, 1] }, p: { range: [0, 1] } },
      axes: [
        timeAxis(),
        percentAxis('rate', 3),
        {
          ...AXIS,
          scale: 'p',
          side: 1,
          size: 40,
          grid: { show: false },
          values: (_u, t) => t.map((v) => v.toFixed(2)),
        },
      ],
      series: [
        {},
        {
          label: `Production ${ab.production}`,
          scale: 'rate',
          stroke: ALIAS_COLORS.Production,
          width: 2,
          spanGaps: true,
          value: (_u, v) => pct(v),
        },
        {
          label: `B ${ab.b}`,
          scale: 'rate',
          stroke: ALIAS_COLORS.B,
          width: 2,
          spanGaps: true,
          value: (_u, v) => pct(v),
        },
        {
          label: 'p-value',
          scale: 'p',
          stroke: '#ffb347',
          width: 1.5,
          dash: [5, 4],
          value: (_u, v) => (v === null ? '–' : fmtP(v)),
        },
        {
          label: 'α 0.05',
          scale: 'p',
          stroke: 'rgba(229,86,107,0.6)',
          width: 1,
          dash: [2, 4],
          points: { show: false },
        },
      ],
      cursor: { drag: { x: false, y: false } },
    }),
    data,
    ab.points.length > 0,
  );
}

/** @param {BotView} view @param {DashboardBot} bot */
function renderChanges(view, bot) {
  if (!bot.aliasChanges.length) {
    view.changeList.replaceChildren(el('li', 'hint', 'No alias changes recorded yet.'));
    return;
  }
  view.changeList.replaceChildren(
    ...bot.aliasChanges.map((c) => {
      const li = el('li');
      li.style.setProperty('--c', ALIAS_COLORS[c.alias]);
      const what =
        c.version === null
          ? `${c.previous} left ${c.alias}`
          : c.previous
            ? `${c.version} → ${c.alias} (was ${c.previous})`
            : `${c.version} → ${c.alias}`;
      li.append(el('span', 'when', clock(c.at)), el('span', 'what', what));
      if (c.promotion) {
        li.classList.add('promotion');
        li.append(el('span', 'badge', 'promoted'));
      }
      li.title = `${new Date(c.at).toLocaleString()}${c.promotion ? ` · ${c.version} was B: promoted to Production` : ''}`;
      return li;
    }),
  );
}

/** @param {BotView} view @param {DashboardBot} bot */
function renderInputs(view, bot) {
  const { window, ...counts } = bot.inputs;
  const total = counts.click + counts.key + counts.camera;
  const methods = /** @type {const} */ (['click', 'key', 'camera']);
  view.inputs.textContent = total
    ? `Entered by ${methods.map((i) => `${i} ${pct(counts[i] / total)}`).join(' · ')} (of ${total} moves in the last ${window} rounds)`
    : 'No moves in the last rounds yet.';
}

/** @param {DashboardData} data */
function render(data) {
  const container = $('bots');
  if (!views.size) container.replaceChildren();
  for (const bot of data.bots) {
    let view = views.get(bot.model);
    if (!view) {
      view = createView(bot);
      views.set(bot.model, view);
      container.append(view.root);
    }
    renderAliases(view, bot);
    renderAccuracy(view, bot);
    renderAb(view, bot);
    renderDrift(view, bot);
    renderChanges(view, bot);
    renderInputs(view, bot);
  }
  for (const [model, view] of views) {
    if (!data.bots.some((b) => b.model === model)) {
      view.root.remove();
      views.delete(model);
    }
  }
  $('updated').textContent = `updated ${clock(data.generatedAt)}`;
  $('live').classList.remove('stale');
}

let inflight = false;
let pollAgain = false;

/** One poll at a time: a poll asked for while one is running follows right after it. */
async function poll() {
  window.clearTimeout(timer);
  if (inflight) {
    pollAgain = true;
    return;
  }
  inflight = true;
  let delay = POLL_MS;
  try {
    const res = await fetch(`/api/v1/dashboard${peopleOnly ? '?excludeSynthetic=true' : ''}`);
    if (res.status === 429) delay = 6 * POLL_MS;
    if (!res.ok)
      throw new Error(res.status === 429 ? 'too many requests; slowing down' : `HTTP ${res.status}`);
    render(/** @type {DashboardData} */ (await res.json()));
    $('error').hidden = true;
  } catch (err) {
    $('live').classList.add('stale');
    $('error').textContent =
      `Cannot update the dashboard: ${err instanceof Error ? err.message : String(err)}`;
    $('error').hidden = false;
  } finally {
    inflight = false;
    timer = window.setTimeout(poll, pollAgain ? 0 : delay);
    pollAgain = false;
  }
}

const peopleOnlySwitch = $('people-only', HTMLInputElement);
peopleOnlySwitch.addEventListener('change', () => {
  peopleOnly = peopleOnlySwitch.checked;
  poll();
});

poll();
