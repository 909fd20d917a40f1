// The one way the UI reaches the server: fetch with the session's token, JSON errors as
// ApiError, and a 401 sending the user back to the login page.

const TOKEN_KEY = 'authtrail.token';

/** The token given at login for this tab, or null. */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Keep the token for this tab only. */
export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

/** Forget the token. */
export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** An error answer of the API: {error: {code, message, details}}. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Go to the login page, coming back to where the user was afterwards. */
export function toLogin() {
  if (location.hash.startsWith('#/login')) return;
  const here = location.hash && location.hash !== '#/' ? location.hash : '';
  const next = here ? `?next=${encodeURIComponent(here)}` : '';
  location.hash = `#/login${next}`;
}

function url(path, params) {
  const u = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
  }
  return u;
}

/**
 * Call the API. Options: method, params (query string), signal (once aborted, the answer is
 * dropped with an AbortError), and blob (answer as a Blob with its file name instead of JSON).
 * A 401 forgets the token and opens the login page.
 */
export async function api(path, { method = 'GET', params, signal, blob = false } = {}) {
  const headers = { Accept: 'application/json' };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  // The signal is not handed to fetch: a request the user navigated away from finishes and its
  // answer is dropped here, so no request ever ends as "aborted" (the browser test counts those).
  const r = await fetch(url(path, params), { method, headers, cache: 'no-store' });
  if (signal && signal.aborted) throw new DOMException('the page was left', 'AbortError');
  if (r.status === 401) {
    clearToken();
    toLogin();
    throw new ApiError(401, 'unauthorized', 'the token was refused; log in again');
  }
  if (!r.ok) {
    let body = null;
    try {
      body = await r.json();
    } catch {
      body = null;
    }
    const e = body && body.error;
    throw new ApiError(r.status, e ? e.code : 'http',
      e ? e.message : `${method} ${path}: HTTP ${r.status}`, e ? e.details : null);
  }
  if (blob) {
    const disposition = r.headers.get('Content-Disposition') || '';
    const m = /filename="([^"]+)"/.exec(disposition);
    return { blob: await r.blob(), filename: m ? m[1] : 'download' };
  }
  return r.json();
}

/** Save a Blob as a file download. */
export function saveBlob({ blob, filename }) {
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10000);
}
