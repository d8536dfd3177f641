// checkout-server admin page: one static page, hash routes, plain DOM.
//   #/orders[?status=…&paymentStatus=…&fulfillmentStatus=…&needsAttention=true&q=…]  orders table
//   #/orders/<id>                                                                      order detail + actions
//   #/products                                                                         catalog editing
// The admin token lives in sessionStorage (gone when the tab closes) and goes out as
// `Authorization: Bearer …`; any 401 brings the token prompt back. API text enters the page only
// through text nodes (textContent), never innerHTML.
'use strict';

/** Where the JSON API lives; empty = the origin that served this page. */
const API_BASE = '';
const TOKEN_KEY = 'checkoutAdmin.token';
const PAGE_SIZE = 50;

const STATUSES = ['pending_payment', 'paid', 'confirmed', 'failed', 'expired', 'refunded', 'cancelled'];
const PAYMENT_STATUSES = ['pending', 'paid', 'failed', 'expired', 'refunded', 'cancelled'];
const FULFILLMENT_STATUSES = ['not_attempted', 'pending', 'success', 'failed'];

const $ = (selector) => document.querySelector(selector);
const view = $('#view');

// ---------------------------------------------------------------------------------------------
// API access

/** Calls the admin API with the bearer token. A 401 forgets the token and shows the prompt again. */
async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ''}` };
  const answer = await requestJSON(API_BASE, method, path, { body, headers });
  if (answer.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    renderLogin('The admin token was not accepted. Enter it again.');
    const err = new ApiError(401, answer.data);
    err.handled = true; // the login prompt replaced the view: callers show nothing more
    throw err;
  }
  if (!answer.ok) {
    const err = new ApiError(answer.status, answer.data);
    if (err.code === 'admin_disabled') err.message += ' (set ADMIN_TOKEN in checkoutd’s environment and restart it)';
    throw err;
  }
  return answer.data;
}

// ---------------------------------------------------------------------------------------------
// Formatting

/** ISO 8601 strings or Unix seconds (Stripe's `created`) as "2026-11-21 20:15:03 UTC". */
function formatTime(value) {
  if (value === null || value === undefined || value === '') return '—';
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

const text = (value) => (value === null || value === undefined || value === '' ? '—' : String(value));
const badge = (value, testid) =>
  el('span', { class: `badge badge-${value}`, testid, 'data-status': value }, text(value));

/** A definition list from [label, value] pairs; values may be nodes. */
const details = (pairs) =>
  el('dl', { class: 'details' }, pairs.map(([label, value]) => [el('dt', {}, label), el('dd', {}, value instanceof Node ? value : text(value))]));

/** A table from column headers and rows of cells (strings or nodes). */
function table(headers, rows, emptyText) {
  if (rows.length === 0) return el('p', { class: 'muted' }, emptyText);
  return el(
    'table',
    {},
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map((cells) => el('tr', {}, cells.map((c) => el('td', {}, c instanceof Node ? c : text(c)))))),
  );
}

// ---------------------------------------------------------------------------------------------
// Routing

let generation = 0; // bumped on every navigation, so a slow answer for an old view is dropped

function route() {
  generation += 1;
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  for (const link of document.querySelectorAll('nav a')) {
    if (path.startsWith(link.getAttribute('href').slice(1))) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (!sessionStorage.getItem(TOKEN_KEY)) return renderLogin();
  $('#logout').hidden = false;
  const orderMatch = /^\/orders\/([^/]+)$/.exec(path);
  if (path === '/orders') return renderOrders(new URLSearchParams(query));
  if (orderMatch) return renderOrder(decodeURIComponent(orderMatch[1]));
  if (path === '/products') return renderProducts();
  location.replace('#/orders');
}

function renderLogin(message) {
  $('#logout').hidden = true;
  const input = el('input', {
    id: 'token',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    testid: 'admin-token-input',
  });
  view.replaceChildren(
    el(
      'form',
      {
        class: 'panel login',
        testid: 'login-form',
        onsubmit: (e) => {
          e.preventDefault();
          sessionStorage.setItem(TOKEN_KEY, input.value.trim());
          route();
        },
      },
      el('h1', {}, 'Admin sign-in'),
      message ? el('p', { class: 'alert error', role: 'alert', testid: 'login-message' }, message) : null,
      el('label', { for: 'token' }, 'Admin token (ADMIN_TOKEN of checkoutd)'),
      input,
      el('button', { type: 'submit', class: 'primary', testid: 'admin-token-submit' }, 'Sign in'),
      el('p', { class: 'small muted' }, 'Kept in this tab only (sessionStorage); closing the tab signs you out.'),
    ),
  );
  input.focus();
}

// ---------------------------------------------------------------------------------------------
// #/orders

function select(id, label, options, value, testid, onchange) {
  return el(
    'div',
    { class: 'field' },
    el('label', { for: id }, label),
    el(
      'select',
      { id, name: id, testid, onchange },
      el('option', { value: '' }, 'any'),
      options.map((o) => el('option', { value: o, selected: o === value }, o)),
    ),
  );
}

function renderOrders(params) {
  const gen = generation;
  const apply = (e) => {
    if (e) e.preventDefault();
    const next = new URLSearchParams();
    for (const name of ['status', 'paymentStatus', 'fulfillmentStatus']) {
      if (form.elements[name].value) next.set(name, form.elements[name].value);
    }
    if (form.elements.needsAttention.checked) next.set('needsAttention', 'true');
    if (form.elements.q.value.trim()) next.set('q', form.elements.q.value.trim());
    location.hash = `#/orders${next.toString() ? '?' + next : ''}`;
  };
  const form = el(
    'form',
    { class: 'filters', role: 'search', onsubmit: apply },
    select('status', 'Status', STATUSES, params.get('status'), 'filter-status', apply),
    select('paymentStatus', 'Payment', PAYMENT_STATUSES, params.get('paymentStatus'), 'filter-payment-status', apply),
    select('fulfillmentStatus', 'Fulfillment', FULFILLMENT_STATUSES, params.get('fulfillmentStatus'), 'filter-fulfillment-status', apply),
    el(
      'div',
      { class: 'field grow' },
      el('label', { for: 'q' }, 'Search'),
      el('input', {
        id: 'q',
        name: 'q',
        type: 'search',
        value: params.get('q') || '',
        placeholder: 'order number, session id, payment intent, email',
        testid: 'filter-search',
      }),
    ),
    el(
      'div',
      { class: 'field check' },
      el('input', {
        id: 'needsAttention',
        name: 'needsAttention',
        type: 'checkbox',
        checked: params.get('needsAttention') === 'true',
        testid: 'filter-needs-attention',
        onchange: apply,
      }),
      el('label', { for: 'needsAttention' }, 'Needs attention only'),
    ),
    el('button', { type: 'submit', testid: 'filter-apply' }, 'Apply'),
  );
  const tbody = el('tbody', { testid: 'orders-body' });
  const status = el('div', { 'aria-live': 'polite' });
  const more = el('button', { type: 'button', testid: 'load-more', hidden: true }, 'Load more');
  view.replaceChildren(
    el('h1', {}, 'Orders'),
    form,
    el(
      'table',
      { class: 'orders', testid: 'orders-table' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['Order', 'Created', 'Customer', 'Status', 'Payment', 'Fulfillment', 'Amount'].map((h) =>
            el('th', { scope: 'col', class: h === 'Amount' ? 'num' : null }, h),
          ),
        ),
      ),
      tbody,
    ),
    status,
    more,
  );

  // GET /api/admin/orders: newest first; keyset pagination by passing back `nextCursor`.
  let cursor = null;
  async function loadPage() {
    more.disabled = true;
    status.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
    const query = new URLSearchParams(params);
    query.set('limit', String(PAGE_SIZE));
    if (cursor) query.set('cursor', cursor);
    try {
      const data = await api('GET', `/api/admin/orders?${query}`);
      if (gen !== generation) return;
      for (const order of data.orders || []) tbody.append(orderRow(order));
      cursor = data.nextCursor || null;
      more.hidden = !cursor;
      more.disabled = false;
      status.replaceChildren(
        tbody.children.length === 0 ? el('p', { class: 'muted', testid: 'orders-empty' }, 'No orders match these filters.') : '',
      );
    } catch (err) {
      if (gen === generation) showError(status, err, loadPage);
      more.disabled = false;
    }
  }
  more.addEventListener('click', loadPage);
  loadPage();
}

function orderRow(order) {
  return el(
    'tr',
    { class: order.needsAttention ? 'attention' : null, testid: 'order-row', 'data-order-id': order.id },
    el(
      'td',
      {},
      el('a', { href: `#/orders/${encodeURIComponent(order.id)}`, testid: 'order-link' }, text(order.orderNumber)),
      order.needsAttention ? el('span', { class: 'flag', testid: 'attention-flag' }, 'needs attention') : null,
    ),
    el('td', { class: 'nowrap' }, formatTime(order.createdAt)),
    el('td', {}, text(order.customerEmail)),
    el('td', {}, badge(order.status, 'row-status')),
    el('td', {}, badge(order.paymentStatus)),
    el('td', {}, badge(order.fulfillmentStatus)),
    el('td', { class: 'num' }, formatMoney(order.amountTotal, order.currency)),
  );
}

// ---------------------------------------------------------------------------------------------
// #/orders/<id>

function renderOrder(id) {
  const gen = generation;
  const body = el('div', {}, el('p', { class: 'muted' }, 'Loading…'));
  const result = el('div', { class: 'result', testid: 'action-result', 'aria-live': 'polite' });
  view.replaceChildren(el('p', {}, el('a', { href: '#/orders', testid: 'back-to-orders' }, '← All orders')), body);

  async function load() {
    try {
      const order = await api('GET', `/api/admin/orders/${encodeURIComponent(id)}`);
      if (gen === generation) body.replaceChildren(...orderDetail(order, result, load).filter(Boolean));
    } catch (err) {
      if (gen === generation) showError(body, err, load);
    }
  }
  load();
}

/** The detail view of an admin order (docs/API.md §4); `reload` fetches and redraws it after an action. */
function orderDetail(order, result, reload) {
  const base = `/api/admin/orders/${encodeURIComponent(order.id)}`;

  /** Runs one admin action, shows the API's answer (or error), then reloads the order. */
  async function act(label, path, body) {
    const buttons = document.querySelectorAll('.order-actions button');
    buttons.forEach((b) => (b.disabled = true));
    result.replaceChildren(el('p', { class: 'muted' }, `${label}…`));
    try {
      const answer = await api('POST', `${base}/${path}`, body);
      const node = el(
        'div',
        { class: 'alert ok', testid: 'action-ok' },
        el('p', {}, `${label}: done.`),
        el('pre', {}, JSON.stringify(answer, null, 2)),
      );
      // retry-session answers with a new payment page; link it when it is an http(s) URL.
      if (answer && typeof answer.url === 'string' && /^https?:\/\//.test(answer.url)) {
        node.append(el('p', {}, el('a', { href: answer.url, target: '_blank', rel: 'noopener' }, 'Open the new payment page')));
      }
      result.replaceChildren(node);
      await reload();
    } catch (err) {
      showError(result, err);
      buttons.forEach((b) => (b.disabled = false));
    }
  }

  // Every action stays clickable: the server decides what is allowed and its answer is shown.
  const note = el('textarea', { id: 'mark-paid-note', rows: 2, testid: 'mark-paid-note', 'aria-required': 'true' });
  const actions = el(
    'section',
    { class: 'panel order-actions', 'aria-labelledby': 'actions-heading' },
    el('h2', { id: 'actions-heading' }, 'Actions'),
    el(
      'div',
      { class: 'actions' },
      el(
        'button',
        {
          type: 'button',
          testid: 'action-retry-session',
          onclick: () => act('Retry session', 'retry-session'),
        },
        'Retry session',
      ),
      el('button', { type: 'button', testid: 'action-sync', onclick: () => act('Sync with Stripe', 'sync') }, 'Sync with Stripe'),
      el(
        'button',
        {
          type: 'button',
          testid: 'action-retry-fulfillment',
          onclick: () => act('Retry fulfillment', 'retry-fulfillment'),
        },
        'Retry fulfillment',
      ),
    ),
    el(
      'form',
      {
        class: 'mark-paid',
        onsubmit: (e) => {
          e.preventDefault();
          if (!note.value.trim()) {
            result.replaceChildren(
              el('p', { class: 'alert error', role: 'alert', testid: 'error-message', 'data-error-code': 'note_required' }, 'Mark paid needs a note saying why (e.g. the bank transfer reference).'),
            );
            note.focus();
            return;
          }
          act('Mark paid', 'mark-paid', { note: note.value.trim() });
        },
      },
      el('label', { for: 'mark-paid-note' }, 'Note for mark-paid (required: why you know it was paid)'),
      note,
      el('div', { class: 'actions' }, el('button', { type: 'submit', testid: 'mark-paid-button' }, 'Mark paid')),
    ),
    result,
  );

  const items = (order.items || []).map((it) => [
    it.productId,
    it.title,
    formatMoney(it.unitAmount, order.currency),
    String(it.quantity),
    formatMoney(it.amountTotal, order.currency),
  ]);
  return [
    el('h1', {}, 'Order ', el('span', { testid: 'detail-order-number' }, text(order.orderNumber))),
    el(
      'p',
      { class: 'badges' },
      'Status ',
      badge(order.status, 'detail-status'),
      ' Payment ',
      badge(order.paymentStatus, 'detail-payment-status'),
      ' Fulfillment ',
      badge(order.fulfillmentStatus, 'detail-fulfillment-status'),
    ),
    order.needsAttention
      ? el('p', { class: 'alert error', testid: 'detail-attention' }, 'Needs attention', order.attentionReason || order.fulfillmentError ? `: ${order.attentionReason || order.fulfillmentError}` : '')
      : null,
    actions,
    ...afterPaymentSections(order, act),
    el('div', { class: 'grid2' },
      el('section', { class: 'panel' }, el('h2', {}, 'Order'), details([
        ['Id', order.id],
        ['Total', formatMoney(order.amountTotal, order.currency)],
        ['Customer email', order.customerEmail],
        ['Customer id', order.customerId],
        ['Current session', order.checkoutSessionId],
        ['Created', formatTime(order.createdAt)],
        ['Updated', formatTime(order.updatedAt)],
        ['Metadata', order.metadata && Object.keys(order.metadata).length ? el('code', {}, JSON.stringify(order.metadata)) : null],
      ])),
      el('section', { class: 'panel' },
        el('h2', {}, 'Payment'),
        details([
          ['Payment intent', order.paymentIntentId],
          ['Amount received', formatMoney(order.amountReceived, order.currency)],
          ['Amount refunded', formatMoney(order.amountRefunded, order.currency)],
          ['Failure reason', order.failureReason],
        ]),
        el('h2', {}, 'Fulfillment'),
        details([
          ['Status', badge(order.fulfillmentStatus)],
          ['Reference', order.fulfillmentReference],
          ['Error', order.fulfillmentError],
        ]),
      ),
    ),
    el('section', { class: 'panel' }, el('h2', {}, 'Items'), table(['Product', 'Title', 'Unit price', 'Qty', 'Amount'], items, 'No items.')),
    el('section', { class: 'panel' }, el('h2', {}, 'Checkout sessions'), table(
      ['Session', 'Status', 'Created'],
      (order.sessions || []).map((s) => [
        el('code', {}, text(s.id), s.id === order.checkoutSessionId ? ' (current)' : ''),
        s.status,
        formatTime(s.createdAt),
      ]),
      'No Stripe session yet.',
    )),
    el('section', { class: 'panel' }, el('h2', {}, 'Stripe events'), table(
      ['Event', 'Type', 'Created at Stripe', 'Received', 'Result'],
      (order.events || []).map((ev) => [el('code', {}, text(ev.id)), ev.type, formatTime(ev.stripeCreatedAt), formatTime(ev.receivedAt), ev.detail ? `${ev.result}: ${ev.detail}` : ev.result]),
      'No events received for this order.',
    )),
    el('section', { class: 'panel' }, el('h2', {}, 'History'), table(
      ['At', 'Status', 'Payment', 'Fulfillment', 'Reason', 'Actor'],
      (order.history || []).map((h) => [formatTime(h.at), h.status, h.paymentStatus, h.fulfillmentStatus, h.reason, h.actor]),
      'No history.',
    )),
  ];
}

// ---------------------------------------------------------------------------------------------
// #/products

function renderProducts() {
  const gen = generation;
  const list = el('div', { class: 'products', testid: 'products-list' }, el('p', { class: 'muted' }, 'Loading…'));
  view.replaceChildren(
    el('h1', {}, 'Products'),
    el('p', { class: 'muted small' }, 'Prices are in minor units (1250 usd = $12.50, 800 jpy = ¥800). Empty stock = unlimited. Inactive products are hidden from the shop.'),
    list,
    el('h2', {}, 'Add a product'),
    productForm(null),
  );
  async function load() {
    try {
      const data = await api('GET', '/api/admin/products');
      if (gen !== generation) return;
      const products = Array.isArray(data) ? data : data.products || [];
      list.replaceChildren(...(products.length ? products.map(productForm) : [el('p', { class: 'muted' }, 'No products yet.')]));
    } catch (err) {
      if (gen === generation) showError(list, err, load);
    }
  }
  load();
}

/** One product as an editable form (or, for `product` null, a form that PUTs a new id). */
function productForm(product) {
  const key = product ? product.id : 'new';
  const input = (name, label, testid, attrs) =>
    el(
      'div',
      { class: `field f-${name}` },
      el('label', { for: `${key}-${name}` }, label),
      el('input', { id: `${key}-${name}`, name, testid, ...attrs }),
    );
  const result = el('div', { class: 'result', testid: 'product-result', 'aria-live': 'polite' });
  const preview = el('span', { class: 'muted small preview' });
  const form = el(
    'form',
    { class: 'product panel', testid: product ? 'product-row' : 'new-product', 'data-product-id': product ? product.id : null },
    product
      ? el('div', { class: 'field f-id' }, el('span', { class: 'label' }, 'Id'), el('code', {}, product.id))
      : input('id', 'Id', 'product-id', { required: true, pattern: '[A-Za-z0-9_.\\-]{1,64}', placeholder: 'sku_example' }),
    input('title', 'Title', 'product-title', { required: true, maxlength: 250, value: product ? product.title : '' }),
    input('unitAmount', 'Unit amount (minor units)', 'product-unit-amount', { type: 'number', min: 1, step: 1, required: true, value: product ? product.unitAmount : '' }),
    input('currency', 'Currency', 'product-currency', { required: true, pattern: '[a-z]{3}', maxlength: 3, value: product ? product.currency : 'usd' }),
    input('stock', 'Stock (empty = unlimited)', 'product-stock', { type: 'number', min: 0, step: 1, value: product && product.stock !== null && product.stock !== undefined ? product.stock : '' }),
    el(
      'div',
      { class: 'field check' },
      el('input', { id: `${key}-active`, name: 'active', type: 'checkbox', checked: product ? product.active !== false : true, testid: 'product-active' }),
      el('label', { for: `${key}-active` }, 'Active'),
    ),
    el('div', { class: 'field' }, preview, el('button', { type: 'submit', class: 'primary', testid: 'product-save' }, product ? 'Save' : 'Add')),
    result,
  );
  const updatePreview = () => {
    const amount = Number(form.elements.unitAmount.value);
    preview.textContent = amount > 0 && /^[a-z]{3}$/.test(form.elements.currency.value) ? formatMoney(amount, form.elements.currency.value) : '';
  };
  form.addEventListener('input', updatePreview);
  updatePreview();

  // PUT /api/admin/products/:id {title, unitAmount, currency, active, stock}; stock null = unlimited.
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = form.elements;
    const id = product ? product.id : f.id.value.trim();
    const payload = {
      title: f.title.value.trim(),
      unitAmount: Number(f.unitAmount.value),
      currency: f.currency.value.trim().toLowerCase(),
      active: f.active.checked,
      stock: f.stock.value.trim() === '' ? null : Number(f.stock.value),
    };
    for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
    const button = e.submitter;
    button.disabled = true;
    try {
      const saved = await api('PUT', `/api/admin/products/${encodeURIComponent(id)}`, payload);
      result.replaceChildren(el('p', { class: 'ok small', testid: 'product-saved' }, `Saved ${formatTime(new Date().toISOString())}.`));
      if (!product) renderProducts(); // show the new product in the list
      else if (saved && saved.title) f.title.value = saved.title;
    } catch (err) {
      showError(result, err);
      // Point at the field the API blamed ("unitAmount", "stock", …).
      const blamed = err.field && f[String(err.field).split('.').pop()];
      if (blamed && blamed.setAttribute) blamed.setAttribute('aria-invalid', 'true');
    }
    button.disabled = false;
  });
  return form;
}

// ---------------------------------------------------------------------------------------------

$('#logout').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  renderLogin('Signed out.');
});
window.addEventListener('hashchange', route);
route();
