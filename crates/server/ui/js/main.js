// The UI's router: '#/page/arg?params' picks a page module, which renders into <main>. Without a
// token for this tab every page but the login page sends the user to log in first.

import { clearToken, token, toLogin } from './api.js';
import { errorBox, h, replace } from './dom.js';
import * as login from './pages/login.js';
import * as dashboard from './pages/dashboard.js';
import * as search from './pages/search.js';
import * as event from './pages/event.js';
import * as trace from './pages/trace.js';
import * as alerts from './pages/alerts.js';

const PAGES = { '': dashboard, login, search, event, trace, alerts };

let current = null; // { controller, timers }

function parse(hash) {
  const text = hash.replace(/^#\/?/, '');
  const [path, query = ''] = text.split('?', 2);
  const [name, ...rest] = path.split('/');
  return { name, arg: rest.map(decodeURIComponent).join('/'), params: new URLSearchParams(query) };
}

function stop() {
  if (!current) return;
  current.controller.abort();
  for (const t of current.timers) clearInterval(t);
  current = null;
}

async function show() {
  stop();
  const main = document.getElementById('main');
  const { name, arg, params } = parse(location.hash);
  const page = PAGES[name];
  if (name !== 'login' && !token()) {
    toLogin();
    return;
  }
  document.getElementById('logout').hidden = !token();
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.dataset.page === (name || 'dashboard'));
  }
  if (!page) {
    replace(main, errorBox(`no page ${name}`));
    return;
  }
  const controller = new AbortController();
  const timers = [];
  current = { controller, timers };
  const ctx = {
    arg,
    params,
    signal: controller.signal,
    every(ms, fn) {
      timers.push(setInterval(fn, ms));
    },
  };
  replace(main, h('p', { class: 'muted' }, 'Loading…'));
  try {
    await page.render(main, ctx);
  } catch (err) {
    if (controller.signal.aborted || err.status === 401) return;
    replace(main, errorBox(err));
  }
}

document.getElementById('logout').addEventListener('click', () => {
  clearToken();
  toLogin();
});
window.addEventListener('hashchange', show);
show();
