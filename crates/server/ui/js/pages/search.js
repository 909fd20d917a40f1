// The search page: the query language (docs/QUERY.md), a page of events at a time in log
// order, or the rows of a pipe; each event links to its detail, users and addresses to traces.

import { api } from '../api.js';
import { errorBox, h, link, replace, route, table } from '../dom.js';
import { count, field, keys, outcome, summary, time } from '../format.js';

const EXAMPLES = [
  'status=failure since=24h',
  'status=failure since=24h | top 10 ip',
  'class=Authentication | count by source',
  'user=root ip!=10.0.0.0/8',
];

/** The cells of one event row. */
export function eventCells(seq, source, event) {
  const k = keys(event);
  return [
    link(`#/event/${seq}`, String(seq), { class: 'seq' }),
    time(event.time),
    source,
    field(event, 'class_name', 'class_uid') ?? '',
    field(event, 'activity_name', 'activity_id') ?? '',
    h('span', { class: `status ${outcome(event)}` }, field(event, 'status', 'status_id') ?? ''),
    k.user ? link(route('#/trace', { user: k.user }), k.user) : '',
    k.ip ? link(route('#/trace', { ip: k.ip }), k.ip) : '',
    h('span', { class: 'summary' }, summary(event)),
  ];
}

/** The header of event tables. */
export const EVENT_HEADERS = ['seq', 'time', 'source', 'class', 'activity', 'status', 'user', 'ip', 'summary'];

function queryError(err, q) {
  const column = err.details && err.details.column;
  if (!column) return errorBox(err);
  return h('div', { class: 'error', role: 'alert' },
    h('pre', null, `${q}\n${' '.repeat(Math.max(0, column - 1))}^`), err.message);
}

export async function render(main, ctx) {
  const q = ctx.params.get('q') ?? '';
  const input = h('input', {
    type: 'search', id: 'q', name: 'q', value: q, size: 80, spellcheck: 'false',
    placeholder: 'user=alice status=failure since=24h | top 10 ip',
  });
  const form = h('form', { class: 'query', id: 'search-form' }, input, ' ',
    h('button', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = route('#/search', { q: input.value.trim(), run: 1 });
  });
  const results = h('div', { id: 'results' });
  replace(main, h('h1', null, 'Search'), form,
    h('p', { class: 'muted help' }, 'Examples: ',
      EXAMPLES.map((ex) => [link(route('#/search', { q: ex, run: 1 }), ex, { class: 'example' }), ' · ']),
      'language: docs/QUERY.md'),
    results);
  if (!ctx.params.has('run') && !q) return;
  await run(q, results, ctx);
}

async function run(q, results, ctx) {
  let answer;
  try {
    answer = await api('/v1/events', { params: { q, limit: 100 }, signal: ctx.signal });
  } catch (err) {
    if (ctx.signal.aborted || err.status === 401) return;
    replace(results, queryError(err, q));
    return;
  }
  if (answer.rows) {
    replace(results, h('p', { class: 'muted' }, `${answer.rows.length} rows over ${count(answer.scanned_to)} entries`),
      table(['value', 'count'], answer.rows.map((r) => [r.value, count(r.count)]), { class: 'rows', id: 'rows' }));
    return;
  }
  const body = h('tbody');
  const shown = h('span');
  const more = h('button', { type: 'button', id: 'more' }, 'Next 100');
  let total = 0;
  const add = (page) => {
    for (const hit of page.events) {
      body.append(h('tr', null, eventCells(hit.seq, hit.source, hit.event).map((c) => h('td', null, c))));
    }
    total += page.events.length;
    replace(shown, `${count(total)} events`, page.next_cursor ? ' so far' : '',
      ` (searched ${count(page.scanned_to)} entries, oldest first)`);
    more.hidden = !page.next_cursor;
    more.dataset.cursor = page.next_cursor ?? '';
  };
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      add(await api('/v1/events', { params: { q, limit: 100, cursor: more.dataset.cursor }, signal: ctx.signal }));
    } catch (err) {
      if (!ctx.signal.aborted) results.append(errorBox(err));
    } finally {
      more.disabled = false;
    }
  });
  add(answer);
  replace(results, h('p', { class: 'muted' }, shown),
    h('table', { class: 'events', id: 'events' },
      h('thead', null, h('tr', null, EVENT_HEADERS.map((t) => h('th', null, t)))), body),
    more);
}
