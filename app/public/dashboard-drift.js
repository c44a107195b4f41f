// @ts-check
// The dashboard's drift cards: the drift status (a view model of the bot's data), its PSI history,
// the player moves against the training rows, and the features that moved most.
import { AXIS, bars, fmtP, pct, timeAxis } from './dashboard-charts.js';
import { el } from './dom.js';

/** @import { DashboardBot } from '../../core/dashboard-api.ts' */
/** @import { Chart } from './dashboard-charts.js' */
/** @typedef {'ok' | 'unknown' | 'drifted'} DriftState */
/**
 * The drift card's elements.
 * @typedef {object} DriftView
 * @property {HTMLElement} driftSub
 * @property {HTMLElement} driftStatus
 * @property {Chart} driftChart
 * @property {HTMLElement} moves
 * @property {HTMLElement} features
 */

const MOVES = ['rock', 'paper', 'scissors'];

/**
 * What the drift card says: its subtitle, state and status line. The last drift check may predate
 * the version Production serves now (the game server checks before its models have loaded, and
 * again only on its next background pass): then there is no check of that version yet.
 * @param {DashboardBot} bot
 * @returns {{ sub: string; state: DriftState; text: string }}
 */
export function driftSummary(bot) {
  const d = bot.drift.current;
  const production = bot.aliases.find((a) => a.alias === 'Production')?.version ?? null;
  if (production === null) {
    return { sub: 'no Production version', state: 'unknown', text: 'no Production version to check' };
  }
  if (!checksProduction(bot)) {
    return { sub: `Production ${production}`, state: 'unknown', text: 'no drift check yet' };
  }
  const sub = `Production ${d.version} · last ${d.rows} rounds`;
  if (d.insufficientData) {
    const text = hasReference(bot)
      ? `not enough rounds yet (${d.rows}) · PSI ${d.score.toFixed(3)}`
      : 'no training reference to compare with';
    return { sub, state: 'unknown', text };
  }
  if (d.drifted)
    return { sub, state: 'drifted', text: `drifted · PSI ${d.score.toFixed(3)} ≥ ${d.threshold}` };
  return { sub, state: 'ok', text: `stable · PSI ${d.score.toFixed(3)} < ${d.threshold}` };
}

/** Whether the last check is of the version Production serves now. */
function checksProduction(/** @type {DashboardBot} */ bot) {
  const production = bot.aliases.find((a) => a.alias === 'Production')?.version ?? null;
  return production !== null && bot.drift.current.version === production;
}

/** Whether that check compared with the version's training rows. */
function hasReference(/** @type {DashboardBot} */ bot) {
  return checksProduction(bot) && bot.drift.current.moveDistribution.reference.some((x) => x > 0);
}

/** @param {DriftView} view @param {DashboardBot} bot */
export function renderDrift(view, bot) {
  const d = bot.drift.current;
  const summary = driftSummary(bot);
  view.driftSub.textContent = summary.sub;
  view.driftStatus.className = `drift-status ${summary.state}`;
  view.driftStatus.textContent = summary.text;

  const history = bot.drift.history.filter((h) => h.score !== null);
  /** @type {import('uplot').AlignedData} */
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
  if (hasReference(bot)) {
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
            { className: 'ref', value: md.reference[i] ?? 0, title: `training ${pct(md.reference[i])}` },
            { className: 'recent', value: md.recent[i] ?? 0, title: `recent ${pct(md.recent[i])}` },
          ],
        })),
        Math.max(0.5, ...md.reference, ...md.recent),
      ),
      test,
    );
  } else {
    view.moves.replaceChildren(el('p', 'empty', 'No training reference to compare with.'));
  }
  if (checksProduction(bot) && d.features.length) {
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
