// checkout-server pages: what the demo storefront and the admin page share. Loaded before each app's
// own script, after /common/currencies.js (which the server generates from its table of Stripe's
// currency rules, so the pages and the server count decimals the same way).
// Everything the API says is put into the page with textContent, never innerHTML.
'use strict';

/** Builds an element. Strings among the children become text nodes, so API text is never parsed
 *  as HTML. `attrs` keys: `class`, `testid` (data-testid), `on<event>`, or any attribute name. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'testid') node.dataset.testid = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** An error answer of the API, in its shape {"error": {code, message, field, orderId?}, requestId}. */
class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || (status ? `The server answered HTTP ${status} instead of the API's JSON. Is it checkoutd?` : 'Request failed.'));
    this.status = status; // 0 = no answer at all (server down, offline, page opened as a file)
    this.code = e.code || (status ? `http_${status}` : 'api_unreachable');
    this.field = e.field; // e.g. "items[0].quantity" when one field is at fault
    this.orderId = e.orderId; // present on 503 stripe_unavailable: the order was kept
    this.requestId = body && body.requestId;
  }
}

/** API: sends one JSON request to `apiBase + path`. Resolves with {status, data} (data: the parsed
 *  JSON body, or null when the body is not JSON); throws ApiError(0) when no answer came at all. */
async function requestJSON(apiBase, method, path, { body, headers = {} } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(apiBase + path, init);
  } catch {
    const err = new ApiError(0, null);
    const folder = location.pathname.split('/')[1] || 'admin';
    err.message =
      location.protocol === 'file:'
        ? `Cannot reach the API: this page was opened as a file. Open it through checkoutd instead (make run, then http://localhost:8080/${folder}/).`
        : 'Cannot reach the API. Is checkoutd running? Start everything with: make run';
    throw err;
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    // Not JSON (a proxy error page, an empty body): ApiError falls back to the HTTP status.
  }
  return { status: response.status, ok: response.ok, data };
}

/** Shows an API error readably in `container`: message, the field at fault, and the request id for
 *  support. Errors marked `handled` (the admin page's login prompt already replaced the view) show nothing. */
function showError(container, err, retry) {
  if (err.handled) return;
  container.replaceChildren(
    el(
      'div',
      { class: 'alert error', role: 'alert', testid: 'error-message', 'data-error-code': err.code || 'error' },
      el('p', {}, err.message || String(err)),
      err.field ? el('p', { class: 'small' }, 'Field: ', el('code', {}, err.field)) : null,
      err.requestId ? el('p', { class: 'small muted' }, `Request id: ${err.requestId}`) : null,
      retry ? el('button', { type: 'button', onclick: retry }, 'Try again') : null,
    ),
  );
}

/** Formats an amount in minor units, e.g. (1250, "usd") → "$12.50", (800, "jpy") → "¥800"; null → "—".
 *  Stripe counts amounts in the currency's minor unit: the digits come from the server's table
 *  (currencies.js), 2 for a code it does not list. */
function formatMoney(minor, currency) {
  if (minor === null || minor === undefined) return '—';
  const code = String(currency || '').toLowerCase();
  const exponents = globalThis.CHECKOUT_CURRENCY_EXPONENTS || {};
  const digits = Object.hasOwn(exponents, code) ? exponents[code] : 2;
  try {
    return new Intl.NumberFormat(undefined, {
      style: 'currency',
      currency: code.toUpperCase(),
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(Number(minor) / 10 ** digits);
  } catch {
    return `${minor} ${code}`; // an unknown currency code: still show something honest
  }
}
