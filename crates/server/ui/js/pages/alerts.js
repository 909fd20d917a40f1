// The alerts page: the detector's findings, newest first, each with its group (linked to
// traces) and its evidence events (linked to their detail).

import { api } from '../api.js';
import { errorBox, h, link, replace, route } from '../dom.js';
import { count, field, time } from '../format.js';

const TRACEABLE = { 'src_endpoint.ip': 'ip', ip: 'ip', 'user.name': 'user', user: 'user',
  'session.uid': 'session', session: 'session' };

function groupCell(group) {
  return Object.entries(group).map(([k, v]) => {
    const kind = TRACEABLE[k];
    return [kind ? link(route('#/trace', { [kind]: v }), `${k}=${v}`) : `${k}=${v}`, ' '];
  });
}

function evidenceCell(alert) {
  const related = field(alert, 'finding_info.related_events') ?? [];
  const total = field(alert, 'finding_info.related_events_count') ?? related.length;
  const links = related.map((r) => [link(`#/event/${r.uid}`, String(r.uid), { class: 'evidence' }), ' ']);
  return h('span', null, links, total > related.length ? `(${count(total)} in all)` : '');
}

export async function render(main, ctx) {
  const since = ctx.params.get('since') ?? '';
  const focus = ctx.params.get('focus');
  const sinceInput = h('input', { type: 'text', id: 'alerts-since', value: since, size: 10,
    placeholder: 'since (24h)' });
  const form = h('form', { class: 'query' }, 'Alerts since ', sinceInput, ' ',
    h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = route('#/alerts', { since: sinceInput.value.trim() });
  });
  const results = h('div', { id: 'alert-list' });
  replace(main, h('h1', null, 'Alerts'), form, results);

  // Alerts come in log order a page at a time; read them all (up to a bound), show newest first.
  const found = [];
  let cursor;
  try {
    do {
      const page = await api('/v1/alerts', { params: { since, limit: 1000, cursor }, signal: ctx.signal });
      found.push(...page.alerts);
      cursor = page.next_cursor;
    } while (cursor && found.length < 10000);
  } catch (err) {
    if (ctx.signal.aborted || err.status === 401) return;
    replace(results, errorBox(err));
    return;
  }
  found.reverse();
  if (!found.length) {
    replace(results, h('p', null, since ? `no alerts since ${since}` : 'no alerts'));
    return;
  }
  const rows = found.map((a) => h('tr', { class: String(a.seq) === focus ? 'focus' : null, id: `alert-${a.seq}` },
    h('td', null, time(a.time)),
    h('td', null, h('span', { class: `sev sev-${String(a.severity).toLowerCase()}` }, a.severity)),
    h('td', null, a.rule),
    h('td', { class: 'wrap' }, field(a.alert, 'finding_info.title', 'message') ?? ''),
    h('td', null, groupCell(a.group)),
    h('td', null, count(a.count)),
    h('td', { class: 'wrap' }, evidenceCell(a.alert)),
    h('td', null, link(`#/event/${a.seq}`, String(a.seq), { class: 'seq' }))));
  replace(results,
    h('p', { class: 'muted' }, `${count(found.length)} alerts${cursor ? ' (the first 10,000)' : ''}, newest first`),
    h('table', { class: 'events alerts', id: 'alerts' },
      h('thead', null, h('tr', null,
        ['time', 'severity', 'rule', 'title', 'group', 'events', 'evidence', 'alert seq'].map((x) => h('th', null, x)))),
      h('tbody', null, rows)));
  const focused = focus && document.getElementById(`alert-${focus}`);
  if (focused) focused.scrollIntoView({ block: 'center' });
}
