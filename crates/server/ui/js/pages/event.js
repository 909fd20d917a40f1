// One event: what it says, its raw input as received, its OCSF form, the log entry's header,
// links to the traces of its user, address and session, and its evidence bundle for download.

import { api, saveBlob } from '../api.js';
import { errorBox, h, link, replace, route } from '../dom.js';
import { field, keys, outcome, summary, time } from '../format.js';

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

export async function render(main, ctx) {
  const seq = ctx.arg;
  if (!/^\d+$/.test(seq)) {
    replace(main, errorBox(`no event ${seq}: give a seq number (#/event/42)`));
    return;
  }
  const entry = await api(`/v1/entries/${seq}`, { signal: ctx.signal });
  const event = entry.event ?? {};
  const k = keys(event);
  const traceLink = (kind, value) => (value
    ? link(route('#/trace', { [kind]: value }), value, { class: `trace-${kind}` })
    : undefined);

  const download = h('button', { type: 'button', id: 'download-evidence' }, 'Download evidence');
  const downloadStatus = h('span', { id: 'download-status' });
  download.addEventListener('click', async () => {
    download.disabled = true;
    try {
      saveBlob(await api(`/v1/evidence/${seq}`, { blob: true, signal: ctx.signal }));
      replace(downloadStatus, h('span', { class: 'muted' },
        ' saved; check it offline with authtrail verify-evidence --key VKEY FILE'));
    } catch (err) {
      if (!ctx.signal.aborted) replace(downloadStatus, errorBox(err));
    } finally {
      download.disabled = false;
    }
  });

  replace(main,
    h('div', { class: 'head' },
      h('h1', null, `Event ${seq}`),
      h('p', null, download, downloadStatus)),
    h('p', { class: 'summary-line' },
      h('span', { class: `status ${outcome(event)}` }, field(event, 'status', 'status_id') ?? ''),
      ' ', summary(event)),
    h('div', { class: 'grid' },
      h('section', { class: 'panel' }, h('h2', null, 'Event'), facts([
        ['time', time(event.time)],
        ['source', entry.header.source],
        ['class', field(event, 'class_name', 'class_uid')],
        ['activity', field(event, 'activity_name', 'activity_id')],
        ['product', field(event, 'metadata.product.name')],
        ['user', traceLink('user', k.user)],
        ['source address', traceLink('ip', k.ip)],
        ['session', traceLink('session', k.session)],
        ['service', field(event, 'service.name')],
        ['status detail', field(event, 'status_detail')],
      ])),
      h('section', { class: 'panel' }, h('h2', null, 'Log entry'), facts([
        ['seq', String(entry.seq)],
        ['received', time(Math.floor(entry.header.received_at_ns / 1e6))],
        ['event digest', h('code', null, entry.header.event_digest)],
        ['raw digest', h('code', null, entry.header.raw_digest)],
        ['leaf hash', h('code', null, entry.leaf_hash)],
      ]))),
    h('section', { class: 'panel' },
      h('h2', null, 'Raw input', entry.raw_is_utf8 ? '' : ' (bytes that are not UTF-8 shown as \\xNN)'),
      h('pre', { id: 'raw', class: 'raw' }, entry.raw)),
    h('section', { class: 'panel' }, h('h2', null, 'OCSF'),
      h('pre', { id: 'ocsf', class: 'json' }, JSON.stringify(event, null, 2))));
}
