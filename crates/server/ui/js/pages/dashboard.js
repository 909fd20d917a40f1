// The dashboard: events over time by outcome, failures by source, top failing users and
// addresses, recent alerts, and the log's state with "verify now".

import { api } from '../api.js';
import { outcomeChart, legend } from '../chart.js';
import { errorBox, h, link, replace, route, table } from '../dom.js';
import { age, count, quote, time } from '../format.js';

const RANGES = ['1h', '24h', '7d', '30d'];
/** The row a tally gives events without the field. */
const NONE = '(none)';

/** A panel whose body is filled by load(); a failure shows in the panel, not the page. */
function panel(id, title, load) {
  const body = h('div', { class: 'panel-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const el = h('section', { class: 'panel', id }, h('h2', null, title), body);
  const refresh = async () => {
    try {
      const content = await load();
      replace(body, content);
      el.classList.add('loaded');
    } catch (err) {
      if (err.name === 'AbortError' || err.status === 401) return;
      replace(body, errorBox(err));
    }
  };
  return { el, refresh };
}

/** Rows of a `| count by` or `| top` query as a table with a bar per count. */
function tallyTable(rows, label, target) {
  if (!rows.length) return h('p', { class: 'muted' }, 'none');
  const max = Math.max(...rows.map((r) => r.count));
  return table([label, 'failures', ''], rows.map((r) => [
    r.value === NONE ? h('span', { class: 'muted' }, r.value) : link(target(r.value), r.value),
    count(r.count),
    h('meter', { min: 0, max, value: r.count }),
  ]), { class: 'tally' });
}

function logState(state, verifyResult) {
  const cp = state.checkpoint;
  const button = h('button', { type: 'button', id: 'verify-now' }, 'Verify now');
  button.addEventListener('click', async () => {
    button.disabled = true;
    replace(verifyResult, h('span', { class: 'muted' }, 'verifying…'));
    try {
      const r = await api('/v1/verify', { method: 'POST' });
      replace(verifyResult, r.ok
        ? h('span', { class: 'ok' }, `OK: ${count(r.entries)} entries verified against the `
          + `checkpoint of size ${count(r.size)} in ${r.seconds.toFixed(2)} s`)
        : h('span', { class: 'bad' }, `FAILED: ${r.message}`));
    } catch (err) {
      replace(verifyResult, errorBox(err));
    } finally {
      button.disabled = false;
    }
  });
  return h('div', null,
    h('dl', { class: 'facts' },
      h('dt', null, 'tree size'), h('dd', { id: 'tree-size' }, count(state.size)),
      h('dt', null, 'last checkpoint'), h('dd', null, `size ${count(cp.size)}, `,
        cp.written_at ? `${time(cp.written_at)} (${age(cp.age_ms)} ago)` : 'time unknown'),
      h('dt', null, 'root'), h('dd', null, h('code', null, cp.root)),
      h('dt', null, 'origin'), h('dd', null, cp.origin)),
    h('p', null, button, ' ', verifyResult));
}

export async function render(main, ctx) {
  const since = RANGES.includes(ctx.params.get('since')) ? ctx.params.get('since') : '1h';
  const { signal } = ctx;
  // Bounded by now like the chart, so events stamped in the future are not counted.
  const span = () => `since=${since} until=${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`;
  const failures = (pipe) => api('/v1/events', {
    params: { q: `status=failure ${span()} | ${pipe}`, limit: 10 }, signal,
  });

  const chart = panel('events-chart', `Events per ${since === '1h' ? 'minute' : 'bucket'} by outcome`,
    async () => {
      const s = await api('/v1/stats', { params: { since }, signal });
      return h('div', null,
        outcomeChart(s.buckets, s.bucket_ms),
        h('p', { class: 'legend' }, legend(s.totals),
          `· ${count(s.events)} events since ${time(s.since)}, `,
          `${Math.round(s.bucket_ms / 60000)} min per bar`,
          s.complete ? '' : ' (too many to count all; partial)'));
    });
  const bySource = panel('failures-by-source', 'Failures by source', async () => {
    const r = await failures('count by source');
    return tallyTable(r.rows, 'source',
      (v) => route('#/search', { q: `status=failure source=${quote(v)} ${span()}`, run: 1 }));
  });
  const users = panel('top-users', 'Top failing users', async () => {
    const r = await failures('top 10 user');
    return tallyTable(r.rows, 'user', (v) => route('#/trace', { user: v }));
  });
  const ips = panel('top-ips', 'Top failing addresses', async () => {
    const r = await failures('top 10 ip');
    return tallyTable(r.rows, 'address', (v) => route('#/trace', { ip: v }));
  });
  const alerts = panel('recent-alerts', 'Recent alerts', async () => {
    // Alerts come oldest first a page at a time: keep the last ten of (at most) ten pages.
    let recent = [];
    let cursor;
    for (let pages = 0; pages < 10; pages += 1) {
      const r = await api('/v1/alerts', { params: { since, limit: 1000, cursor }, signal });
      recent = recent.concat(r.alerts).slice(-10);
      cursor = r.next_cursor;
      if (!cursor) break;
    }
    recent.reverse();
    if (!recent.length) {
      return h('p', { class: 'muted' }, `no alerts since ${since}; `, link('#/alerts', 'all alerts'));
    }
    return table(['time', 'severity', 'rule', 'group', 'events'], recent.map((a) => [
      time(a.time),
      h('span', { class: `sev sev-${String(a.severity).toLowerCase()}` }, a.severity),
      link(route('#/alerts', { focus: a.seq }), a.rule),
      Object.entries(a.group).map(([k, v]) => `${k}=${v}`).join(' '),
      count(a.count),
    ]), { class: 'alerts' });
  });
  const verifyResult = h('span', { id: 'verify-result' });
  const log = panel('log-state', 'Log', async () => logState(await api('/v1/log', { signal }), verifyResult));

  const ranges = h('p', { class: 'ranges' }, 'Range: ', RANGES.map((r) => [
    r === since ? h('strong', null, r) : link(route('#/', { since: r }), r), ' ']));
  replace(main,
    h('div', { class: 'head' }, h('h1', null, 'Dashboard'), ranges),
    h('div', { class: 'grid' }, chart.el, log.el),
    h('div', { class: 'grid3' }, bySource.el, users.el, ips.el),
    alerts.el);
  const all = [chart, bySource, users, ips, alerts, log];
  await Promise.all(all.map((p) => p.refresh()));
  // Keep the numbers moving without a reload; the verify result stays.
  ctx.every(30000, () => all.forEach((p) => p.refresh()));
}
