// The trace page: the timeline of a session, a user or an address across sources, following
// the correlation keys (docs/TRACE.md); each step says which key linked it.

import { api } from '../api.js';
import { errorBox, h, link, replace, route } from '../dom.js';
import { count, outcome, time } from '../format.js';

const KINDS = ['user', 'ip', 'session'];

export async function render(main, ctx) {
  const kind = KINDS.find((k) => ctx.params.has(k)) ?? 'user';
  const value = ctx.params.get(kind) ?? '';
  const since = ctx.params.get('since') ?? '';
  const select = h('select', { id: 'trace-kind', name: 'kind' },
    KINDS.map((k) => h('option', { value: k, selected: k === kind }, k)));
  const input = h('input', { type: 'text', id: 'trace-value', value, size: 40, required: true,
    placeholder: 'alice, 203.0.113.9 or a session id' });
  const sinceInput = h('input', { type: 'text', id: 'trace-since', value: since, size: 8,
    placeholder: 'since (7d)' });
  const form = h('form', { class: 'query', id: 'trace-form' }, select, ' ', input, ' ', sinceInput, ' ',
    h('button', { type: 'submit' }, 'Trace'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = route('#/trace', { [select.value]: input.value.trim(), since: sinceInput.value.trim() });
  });
  const results = h('div', { id: 'timeline' });
  replace(main, h('h1', null, 'Trace'), form, results);
  if (!value) return;

  let t;
  try {
    t = await api('/v1/trace', { params: { [kind]: value, since }, signal: ctx.signal });
  } catch (err) {
    if (ctx.signal.aborted || err.status === 401) return;
    replace(results, errorBox(err));
    return;
  }
  const notes = [];
  for (const b of t.bounds_hit) notes.push(`stopped at the ${b.bound} bound (${count(b.limit)})`);
  if (t.unfollowed.length) {
    notes.push(`not followed: ${t.unfollowed.map((u) => `${u.key}=${u.value}`).join(', ')}`);
  }
  const rows = t.steps.map((s) => h('tr', { class: `step ${outcome(s.event)}` },
    h('td', null, time(s.time)),
    h('td', null, link(`#/event/${s.seq}`, String(s.seq), { class: 'seq' })),
    h('td', null, s.source),
    h('td', null, s.class ?? ''),
    h('td', null, s.activity ?? ''),
    h('td', null, h('span', { class: `status ${outcome(s.event)}` }, s.status ?? '')),
    h('td', null, s.user ? link(route('#/trace', { user: s.user }), s.user) : ''),
    h('td', null, s.src_ip ? link(route('#/trace', { ip: s.src_ip }), s.src_ip) : ''),
    h('td', { class: 'muted' }, `${s.linked_by.rule}: ${s.linked_by.key}=${s.linked_by.value}`,
      s.linked_by.from === null || s.linked_by.from === undefined ? '' : ` (from ${s.linked_by.from})`)));
  replace(results,
    h('p', { class: 'muted' }, `${count(t.steps.length)} steps for ${t.start.key}=${t.start.value}`,
      t.since ? ` since ${t.since}` : '', notes.length ? ` · ${notes.join('; ')}` : ''),
    t.steps.length
      ? h('table', { class: 'events timeline', id: 'steps' },
        h('thead', null, h('tr', null,
          ['time', 'seq', 'source', 'class', 'activity', 'status', 'user', 'ip', 'linked by']
            .map((x) => h('th', null, x)))),
        h('tbody', null, rows))
      : h('p', null, 'nothing found'));
}
