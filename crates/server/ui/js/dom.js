// Building DOM nodes from API data without ever parsing it as HTML: every string becomes a
// text node or an attribute value, never markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function fill(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') el.textContent = String(value);
    else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** An HTML element: h('a', {href: '#/'}, 'text', otherNode). */
export function h(tag, attrs, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element, same shape as h(). */
export function svg(tag, attrs, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** Replace everything inside el with the given nodes. */
export function replace(el, ...children) {
  el.replaceChildren();
  return fill(el, null, children);
}

/** A link inside the UI: href is a hash route like '#/trace?user=alice'. */
export function link(route, text, attrs = {}) {
  return h('a', { href: route, ...attrs }, text);
}

/** A route with query parameters, skipping empty ones: route('#/trace', {user: 'a'}). */
export function route(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const text = q.toString();
  return text ? `${path}?${text}` : path;
}

/** A table with a header row and one row per item (cells are nodes or text). */
export function table(headers, rows, attrs = {}) {
  return h('table', attrs,
    h('thead', null, h('tr', null, headers.map((t) => h('th', null, t)))),
    h('tbody', null, rows.map((cells) => h('tr', null, cells.map((c) => h('td', null, c))))));
}

/** An error box for a failed request or bad input. */
export function errorBox(err) {
  const message = err && err.message ? err.message : String(err);
  return h('div', { class: 'error', role: 'alert' }, message);
}
