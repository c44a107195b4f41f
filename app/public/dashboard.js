// RPS Quest live dashboard: polls /api/v1/dashboard and draws with uPlot (vendored, MIT).
const POLL_MS = 5000;
const ALIAS_COLORS = { Production: '#4cc38a', B: '#5aa9ff', Shadow1: '#ffb347', Shadow2: '#c38fff' };
const RETIRED_COLOR = '#7d879c';
const ALGORITHMS = { mlp: 'neural network', gbdt: 'boosted trees', logistic: 'logistic regression' };
const MOVES = ['rock', 'paper', 'scissors'];
const AXIS = {
  stroke: '#9aa6bd',
  grid: { stroke: 'rgba(255,255,255,0.07)', width: 1 },
  ticks: { stroke: 'rgba(255,255,255,0.12)', width: 1 },
  font: '11px system-ui, sans-serif',
};

const $ = (id) => document.getElementById(id);
const pct = (x) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)}%`);
const fmtP = (p) => (p < 0.001 ? '< 0.001' : p.toFixed(3));
const clock = (ms) =>
  new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** Per bot: its DOM and its charts, kept across polls. */
const views = new Map();
let peopleOnly = false;
let timer = null;

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

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

function versionColor(series) {
  return series.aliases.length ? ALIAS_COLORS[series.aliases[0]] : RETIRED_COLOR;
}

/** A uPlot chart that is rebuilt when its series change and resized with its box. */
class Chart {
  constructor(container, emptyText) {
    this.container = container;
    this.box = el('div', 'chart');
    this.empty = el('p', 'empty', emptyText);
    container.append(this.box, this.empty);
    this.plot = null;
    this.key = '';
    new window.ResizeObserver(() => this.plot?.setSize(this.size())).observe(this.box);
  }

  size() {
    return { width: Math.max(200, this.box.clientWidth), height: 190 };
  }

  update(key, makeOptions, data, hasData) {
    this.box.dataset.points = String(hasData ? data[0].length : 0);
    this.empty.hidden = hasData;
    this.box.hidden = !hasData;
    if (!hasData) return;
    if (this.plot && key === this.key) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.key = key;
    this.plot = new window.uPlot({ ...this.size(), ...makeOptions() }, data, this.box);
  }
}

// whole seconds at least: a burst of games must not give ticks of milliseconds
const TIME_INCRS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400,
];
const two = (n) => String(n).padStart(2, '0');

function timeAxis() {
  return {
    ...AXIS,
    space: 64,
    incrs: TIME_INCRS,
    values: (_u, splits, _axis, _space, incr) =>
      splits.map((s) => {
        const d = new Date(s * 1000);
        const hm = `${two(d.getHours())}:${two(d.getMinutes())}`;
        if (incr >= 86400) return `${d.getMonth() + 1}/${d.getDate()}`;
        return incr < 60 ? `${hm}:${two(d.getSeconds())}` : hm;
      }),
  };
}

function percentAxis(scale, side) {
  return {
    ...AXIS,
    scale,
    side,
    size: 46,
    values: (_u, ticks) => ticks.map((t) => `${Math.round(t * 100)}%`),
  };
}

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

function renderAccuracy(view, bot) {
  const { series, bucketSize } = bot.accuracy;
  view.accSub.textContent = `per ${bucketSize} predictions`;
  const drawn = series.filter((s) => s.points.length > 0);
  const tables = drawn.map((s) => [s.points.map((p) => p.t / 1000), s.points.map((p) => p.accuracy)]);
  const data = tables.length ? window.uPlot.join(tables) : [[]];
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
          value: (_u, v) => pct(v),
        })),
      ],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    }),
    data,
    drawn.length > 0,
  );
}

function renderAb(view, bot) {
  const ab = bot.abTest;
  if (!ab) {
    view.abSummary.textContent = bot.aliases.find((a) => a.alias === 'B').version
      ? 'Production and B serve the same version.'
      : 'No B version is being tested.';
    view.abChart.update('', () => ({}), [[]], false);
    return;
  }
  const rate = (wins, games) => (games ? `${pct(wins / games)} of ${games}` : 'no games');
  view.abSummary.replaceChildren(
    el('span', 'pill prod', `Production ${ab.production}: ${rate(ab.productionWins, ab.productionGames)}`),
    el('span', 'pill b', `B ${ab.b}: ${rate(ab.bWins, ab.bGames)}`),
    el('span', 'pill p', `p = ${fmtP(ab.pValue)}`),
  );
  const x = ab.points.map((p) => p.t / 1000);
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

function bars(rows, max) {
  const list = el('div', 'bars');
  for (const r of rows) {
    const row = el('div', 'bar-row');
    const track = el('div', 'bar-track');
    for (const b of r.bars) {
      const fill = el('div', `bar ${b.className}`);
      fill.style.width = `${Math.min(100, (b.value / max) * 100)}%`;
      fill.title = b.title;
      track.append(fill);
    }
    row.append(el('span', 'bar-label', r.label), track, el('span', 'bar-value', r.value));
    list.append(row);
  }
  return list;
}

function renderDrift(view, bot) {
  const d = bot.drift.current;
  view.driftSub.textContent = d.version
    ? `Production ${d.version} · last ${d.rows} rounds`
    : 'no Production version';
  let state = 'ok';
  let text = `stable · PSI ${d.score.toFixed(3)} < ${d.threshold}`;
  if (d.insufficientData) {
    state = 'unknown';
    text =
      d.version && d.moveDistribution.reference.some((x) => x > 0)
        ? `not enough rounds yet (${d.rows}) · PSI ${d.score.toFixed(3)}`
        : 'no training reference to compare with';
  } else if (d.drifted) {
    state = 'drifted';
    text = `drifted · PSI ${d.score.toFixed(3)} ≥ ${d.threshold}`;
  }
  view.driftStatus.className = `drift-status ${state}`;
  view.driftStatus.textContent = text;

  const history = bot.drift.history.filter((h) => h.score !== null);
  const data = [history.map((h) => h.t / 1000), history.map((h) => h.score), history.map(() => d.threshold)];
  view.driftChart.update(
    'drift',
    () => ({
      scales: {
        x: { time: true },
        psi: { range: (_u, _min, max) => [0, Math.max(d.threshold * 1.5, max * 1.1)] },
      },
      axes: [timeAxis(), { ...AXIS, scale: 'psi', size: 46, values: (_u, t) => t.map((v) => v.toFixed(2)) }],
      series: [
        {},
        {
          label: 'PSI',
          scale: 'psi',
          stroke: '#ffb347',
          width: 2,
          fill: 'rgba(255,179,71,0.08)',
          points: { show: history.length < 3, size: 6 },
          value: (_u, v) => (v === null ? '–' : v.toFixed(3)),
        },
        {
          label: 'threshold',
          scale: 'psi',
          stroke: 'rgba(229,86,107,0.8)',
          width: 1,
          dash: [6, 4],
          points: { show: false },
        },
      ],
      cursor: { drag: { x: false, y: false } },
    }),
    data,
    history.length > 0,
  );

  const md = d.moveDistribution;
  if (d.version && md.reference.some((x) => x > 0)) {
    const legend = el('p', 'legend');
    legend.append(el('span', 'key ref', 'training'), el('span', 'key recent', `last ${d.rows} rounds`));
    const test = el(
      'p',
      'note',
      `PSI ${md.psi.toFixed(3)} · χ² ${md.chiSquare.toFixed(1)}, p = ${fmtP(md.pValue)}`,
    );
    view.moves.replaceChildren(
      legend,
      bars(
        MOVES.map((m, i) => ({
          label: m,
          value: `${pct(md.reference[i])} → ${pct(md.recent[i])}`,
          bars: [
            { className: 'ref', value: md.reference[i], title: `training ${pct(md.reference[i])}` },
            { className: 'recent', value: md.recent[i], title: `recent ${pct(md.recent[i])}` },
          ],
        })),
        Math.max(0.5, ...md.reference, ...md.recent),
      ),
      test,
    );
  } else {
    view.moves.replaceChildren(el('p', 'empty', 'No training reference to compare with.'));
  }
  if (d.features.length) {
    const top = d.features.slice(0, 6);
    const max = Math.max(d.threshold * 1.5, ...top.map((f) => f.psi));
    view.features.replaceChildren(
      bars(
        top.map((f) => ({
          label: f.name.replace(/_/g, ' '),
          value: f.psi.toFixed(3),
          bars: [
            {
              className: f.psi >= d.threshold ? 'hot' : 'psi',
              value: f.psi,
              title: `PSI ${f.psi.toFixed(3)}`,
            },
          ],
        })),
        max,
      ),
      el('p', 'note', `red: at or above the threshold ${d.threshold}`),
    );
  } else {
    view.features.replaceChildren(el('p', 'empty', 'Needs a training reference and recent rounds.'));
  }
}

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

function renderInputs(view, bot) {
  const { window, ...counts } = bot.inputs;
  const total = counts.click + counts.key + counts.camera;
  view.inputs.textContent = total
    ? `Entered by ${['click', 'key', 'camera'].map((i) => `${i} ${pct(counts[i] / total)}`).join(' · ')} (of ${total} moves in the last ${window} rounds)`
    : 'No moves in the last rounds yet.';
}

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
    render(await res.json());
    $('error').hidden = true;
  } catch (err) {
    $('live').classList.add('stale');
    $('error').textContent = `Cannot update the dashboard: ${err.message}`;
    $('error').hidden = false;
  } finally {
    inflight = false;
    timer = setTimeout(poll, pollAgain ? 0 : delay);
    pollAgain = false;
  }
}

$('people-only').addEventListener('change', (e) => {
  peopleOnly = e.target.checked;
  poll();
});

poll();
