// @ts-check
// The dashboard's charts (uPlot, vendored, MIT: the page loads it as a classic script) and bars.
import { el } from './dom.js';

/** @import uPlot from 'uplot' */
/** @import { DashboardBot } from '../../core/dashboard-api.ts' */
/** @typedef {DashboardBot['aliases'][number]['alias']} Alias */

/** @type {Record<Alias, string>} */
export const ALIAS_COLORS = { Production: '#4cc38a', B: '#5aa9ff', Shadow1: '#ffb347', Shadow2: '#c38fff' };
export const AXIS = {
  stroke: '#9aa6bd',
  grid: { stroke: 'rgba(255,255,255,0.07)', width: 1 },
  ticks: { stroke: 'rgba(255,255,255,0.12)', width: 1 },
  font: '11px system-ui, sans-serif',
};

export const pct = (/** @type {number | null | undefined} */ x) =>
  x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)}%`;
export const fmtP = (/** @type {number} */ p) => (p < 0.001 ? '< 0.001' : p.toFixed(3));

/** uPlot, loaded by the page before its modules. */
export const plots = () => /** @type {Window & { uPlot: typeof uPlot }} */ (window).uPlot;

/** A uPlot chart that is rebuilt when its series change and resized with its box. */
export class Chart {
  /** @param {HTMLElement} container @param {string} emptyText */
  constructor(container, emptyText) {
    this.container = container;
    this.box = el('div', 'chart');
    this.empty = el('p', 'empty', emptyText);
    container.append(this.box, this.empty);
    /** @type {uPlot | null} */
    this.plot = null;
    this.key = '';
    new window.ResizeObserver(() => this.plot?.setSize(this.size())).observe(this.box);
  }

  size() {
    return { width: Math.max(200, this.box.clientWidth), height: 190 };
  }

  /**
   * @param {string} key the series drawn: the chart is rebuilt when it changes
   * @param {() => Omit<uPlot.Options, 'width' | 'height'>} makeOptions
   * @param {uPlot.AlignedData} data
   * @param {boolean} hasData
   */
  update(key, makeOptions, data, hasData) {
    this.box.dataset.points = String(hasData ? (data[0]?.length ?? 0) : 0);
    this.empty.hidden = hasData;
    this.box.hidden = !hasData;
    if (!hasData) return;
    if (this.plot && key === this.key) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.key = key;
    const UPlot = plots();
    this.plot = new UPlot({ ...this.size(), ...makeOptions() }, data, this.box);
  }
}

// whole seconds at least: a burst of games must not give ticks of milliseconds
const TIME_INCRS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400,
];
const two = (/** @type {number} */ n) => String(n).padStart(2, '0');

/** @returns {uPlot.Axis} */
export function timeAxis() {
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

/** @param {string} scale @param {uPlot.Axis.Side} side @returns {uPlot.Axis} */
export function percentAxis(scale, side) {
  return {
    ...AXIS,
    scale,
    side,
    size: 46,
    values: (_u, ticks) => ticks.map((t) => `${Math.round(t * 100)}%`),
  };
}

/**
 * Labelled horizontal bars, each row one or more bars scaled to `max`.
 * @param {{ label: string; value: string; bars: { className: string; value: number; title: string }[] }[]} rows
 * @param {number} max
 */
export function bars(rows, max) {
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
