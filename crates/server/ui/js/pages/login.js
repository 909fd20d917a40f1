// The login page: a token kept in sessionStorage for this tab, checked against the API first.

import { api, clearToken, setToken } from '../api.js';
import { errorBox, h, replace } from '../dom.js';

export async function render(main, ctx) {
  const next = ctx.params.get('next') || '#/';
  const input = h('input', {
    type: 'password', id: 'token', name: 'token', autocomplete: 'off', required: true,
    placeholder: 'read token', size: 48,
  });
  const status = h('div', { id: 'login-status' });
  const form = h('form', { class: 'login', id: 'login' },
    h('h1', null, 'Log in'),
    h('p', { class: 'muted' },
      'Give an access token with the read scope. It is kept for this browser tab only ',
      '(sessionStorage) and sent as Authorization: Bearer on every request.'),
    h('label', { for: 'token' }, 'Token '), input, ' ',
    h('button', { type: 'submit' }, 'Log in'),
    status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    setToken(value);
    replace(status, h('span', { class: 'muted' }, 'checking…'));
    try {
      await api('/v1/log', { signal: ctx.signal });
      location.hash = next.startsWith('#/') && !next.startsWith('#/login') ? next : '#/';
    } catch (err) {
      if (ctx.signal.aborted) return;
      clearToken();
      replace(status, errorBox(err.status === 401 ? 'token refused' : err));
    }
  });
  replace(main, form);
  input.focus();
}
