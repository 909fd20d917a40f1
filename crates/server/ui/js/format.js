// How values are shown: times in UTC, ages, counts, and the fields read from OCSF events.

/** ms since the epoch (or RFC 3339 text) as 'YYYY-MM-DD HH:MM:SSZ'; '' for nothing. */
export function time(value) {
  if (value === undefined || value === null || value === '') return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** A duration in ms as '3 s', '4 min', '2 h', '5 d'. */
export function age(ms) {
  if (ms === undefined || ms === null) return 'unknown';
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  const hrs = Math.round(m / 60);
  if (hrs < 48) return `${hrs} h`;
  return `${Math.round(hrs / 24)} d`;
}

/** A count with thousands separators. */
export function count(n) {
  return typeof n === 'number' ? n.toLocaleString('en-US') : String(n ?? '');
}

function at(obj, path) {
  let v = obj;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = v[part];
  }
  return v;
}

/** The first present value among OCSF paths. */
export function field(event, ...paths) {
  for (const p of paths) {
    const v = at(event, p);
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

/** The correlation fields the UI links to traces. */
export function keys(event) {
  return {
    user: field(event, 'user.name', 'actor.user.name'),
    ip: field(event, 'src_endpoint.ip'),
    session: field(event, 'session.uid', 'actor.session.uid'),
  };
}

/** 'success' | 'failure' | 'other', from status_id. */
export function outcome(event) {
  const id = event && event.status_id;
  return id === 1 ? 'success' : id === 2 ? 'failure' : 'other';
}

/** A one-line summary of what happened. */
export function summary(event) {
  return field(event, 'message', 'status_detail', 'finding_info.title', 'activity_name') ?? '';
}

/** A value for the query language, quoted when it has a space, quote, parenthesis or bar. */
export function quote(value) {
  const v = String(value);
  return /^[^\s"()|]+$/.test(v) ? v : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
