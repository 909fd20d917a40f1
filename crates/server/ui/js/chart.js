// A stacked bar chart in SVG for the events over time by outcome; drawn by hand, no library.

import { svg } from './dom.js';
import { time } from './format.js';

const OUTCOMES = ['failure', 'success', 'other'];
const W = 900;
const H = 220;
const PAD = { left: 48, right: 8, top: 10, bottom: 28 };

/** A round axis maximum at or above n (1, 2, 5 × 10^k). */
function niceMax(n) {
  if (n <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

/**
 * The chart of /v1/stats buckets ([{start, success, failure, other}]) each bucket_ms wide:
 * one stacked bar per bucket, failures at the bottom, a <title> per bar for the exact counts.
 */
export function outcomeChart(buckets, bucketMs) {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const max = niceMax(Math.max(0, ...buckets.map((b) => b.success + b.failure + b.other)));
  const step = plotW / Math.max(1, buckets.length);
  const barW = Math.max(1, step * 0.8);
  const y = (v) => PAD.top + plotH - (v / max) * plotH;

  const grid = [0, 0.5, 1].map((f) => {
    const v = Math.round(max * f);
    return [
      svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: 'grid' }),
      svg('text', { x: PAD.left - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, String(v)),
    ];
  });

  const bars = buckets.map((b, i) => {
    const x = PAD.left + i * step + (step - barW) / 2;
    let base = 0;
    const parts = OUTCOMES.filter((o) => b[o] > 0).map((o) => {
      const r = svg('rect', {
        x, width: barW, y: y(base + b[o]), height: y(base) - y(base + b[o]), class: `bar ${o}`,
      });
      base += b[o];
      return r;
    });
    const label = `${time(b.start)} (+${Math.round(bucketMs / 60000)} min): `
      + `${b.success} success, ${b.failure} failure, ${b.other} other`;
    return svg('g', { class: 'bucket' },
      svg('title', null, label),
      // A transparent full-height target so the tooltip shows over empty buckets too.
      svg('rect', { x, width: barW, y: PAD.top, height: plotH, class: 'hit' }),
      parts);
  });

  const ticks = [];
  const every = Math.max(1, Math.ceil(buckets.length / 6));
  for (let i = 0; i < buckets.length; i += every) {
    ticks.push(svg('text', {
      x: PAD.left + i * step, y: H - 8, class: 'axis',
    }, time(buckets[i].start).slice(5, 16)));
  }

  return svg('svg', {
    viewBox: `0 0 ${W} ${H}`, class: 'chart', id: 'chart', role: 'img',
    'aria-label': 'events over time by outcome',
  }, grid, bars, ticks);
}

/** The chart's legend. */
export function legend(totals) {
  return OUTCOMES.map((o) => svg('svg', { viewBox: '0 0 10 10', class: 'swatch' },
    svg('rect', { width: 10, height: 10, class: `bar ${o}` })))
    .map((sw, i) => [sw, ` ${OUTCOMES[i]} ${totals ? totals[OUTCOMES[i]] : ''}  `]);
}
