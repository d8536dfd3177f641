// checkout-server demo storefront: the one script behind index.html, success.html and cancel.html.
//
// Read this file as a reference for your own storefront. The calls that matter are marked "API:".
//   1. Pay       → POST /api/payments/create-checkout-session (with an Idempotency-Key) → go to `url`
//   2. success   → GET /api/orders/by-session/:sessionId, polled while the order is `pending_payment`
//   3. cancel    → POST /api/orders/:orderId/retry-session → go to the new `url`
// The browser never sends a price: the server takes prices from its catalog.
// The helpers both pages share (el, ApiError, requestJSON, showError, formatMoney) are in
// /common/common.js, loaded before this file.
// Everything the API says is put into the page with textContent, never innerHTML.
'use strict';

/** Where the JSON API lives. Empty = the origin that served this page (checkoutd serves both). A
 *  storefront on another origin puts checkoutd's origin here and lists its own in CORS_ALLOWED_ORIGINS. */
const API_BASE = '';

const CART_KEY = 'checkoutDemo.cart'; // {productId: quantity}; kept until the order is paid
const ATTEMPT_KEY = 'checkoutDemo.attempt'; // {key, body}: the Idempotency-Key of an unanswered Pay
const ORDER_KEY = 'checkoutDemo.lastOrder'; // {orderId, orderNumber, sessionId}: for the cancel page
const POLL_INTERVAL_MS = 1500;
const MAX_POLLS = 40; // ~1 minute of waiting for the webhook, then we stop and say so

// ---------------------------------------------------------------------------------------------
// Small helpers

const $ = (selector) => document.querySelector(selector);

function readJSON(key, fallback) {
  try {
    return JSON.parse(localStorage.getItem(key)) ?? fallback;
  } catch {
    return fallback;
  }
}
const writeJSON = (key, value) => localStorage.setItem(key, JSON.stringify(value));

/** API: every call goes through here. Resolves with the parsed JSON body of a 2xx, else throws ApiError. */
async function api(method, path, options = {}) {
  const answer = await requestJSON(API_BASE, method, path, options);
  if (!answer.ok) throw new ApiError(answer.status, answer.data);
  return answer.data;
}

/** Leaves the page for Stripe's hosted checkout (or the simulator's), only for http(s) URLs. */
function goToCheckout(url) {
  if (typeof url !== 'string' || !url) throw new Error('The server gave no payment page URL.');
  const target = new URL(url, location.href);
  if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new Error('Unexpected checkout URL');
  location.assign(target.href);
}

/** Remembers the order we sent the customer to pay, so the cancel page can show it again. */
function rememberOrder(session) {
  writeJSON(ORDER_KEY, { orderId: session.orderId, orderNumber: session.orderNumber, sessionId: session.id });
}

/** API: POST /api/orders/:orderId/retry-session answers a Checkout Session to pay a saved order (same
 *  shape as create): 200 the order's session as is while it is still open (back to the same page), or
 *  201 a new one, the server expiring the old session first so a customer cannot pay twice. */
async function retryPayment(orderId, button, messageEl) {
  button.disabled = true;
  messageEl.replaceChildren(el('p', { class: 'muted' }, 'Opening a new payment page…'));
  try {
    const session = await api('POST', `/api/orders/${encodeURIComponent(orderId)}/retry-session`);
    rememberOrder(session);
    goToCheckout(session.url);
  } catch (err) {
    if (err.code === 'stripe_unavailable') err.message = 'Payment service unavailable, your order is saved. Please try again in a moment.';
    if (err.code === 'order_already_paid') err.message = 'This order has already been paid. Nothing more to do!';
    showError(messageEl, err);
    button.disabled = err.code === 'order_already_paid' || err.code === 'order_not_retryable';
  }
}

/** A "Retry payment" button wired to retryPayment. */
function retryButton(orderId, messageEl) {
  const button = el('button', { type: 'button', class: 'primary', testid: 'retry-payment' }, 'Retry payment');
  button.addEventListener('click', () => retryPayment(orderId, button, messageEl));
  return button;
}

/** 16 random bytes as hex; crypto.getRandomValues works on plain http too (randomUUID needs https). */
function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return 'demo-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// ---------------------------------------------------------------------------------------------
// index.html: products and cart

async function initShop() {
  const productsEl = $('#products');
  const linesEl = $('#cart-lines');
  const totalEl = $('#cart-total');
  const payButton = $('#pay');
  const messageEl = $('#cart-message');
  let products = null; // null until GET /api/products answered
  let paying = false;
  let invalidLine = -1; // index of the cart line an API error's `field` points at
  let cart = readJSON(CART_KEY, {});

  const productById = (id) => (products || []).find((p) => p.id === id);
  const maxQuantity = (p) => Math.min(999, p && p.stock !== null && p.stock !== undefined ? p.stock : 999);

  function saveCart() {
    writeJSON(CART_KEY, cart);
    renderCart();
  }

  function setQuantity(id, quantity) {
    invalidLine = -1;
    const q = Math.floor(Number(quantity));
    if (!Number.isFinite(q) || q <= 0) delete cart[id];
    else cart[id] = Math.min(q, products ? maxQuantity(productById(id)) : 999);
    saveCart();
  }

  // API: GET /api/products lists the active products (prices in minor units).
  async function loadProducts() {
    productsEl.replaceChildren(el('p', { class: 'muted' }, 'Loading products…'));
    try {
      const data = await api('GET', '/api/products');
      products = Array.isArray(data) ? data : data.products || [];
      renderProducts();
    } catch (err) {
      products = null;
      showError(productsEl, err, loadProducts);
    }
    renderCart();
  }

  function renderProducts() {
    if (products.length === 0) {
      productsEl.replaceChildren(el('p', { class: 'muted' }, 'No products yet. `make run` seeds a demo catalog.'));
      return;
    }
    productsEl.replaceChildren(
      ...products.map((p) => {
        const soldOut = p.stock === 0;
        return el(
          'article',
          { class: 'card', testid: 'product-card', 'data-product-id': p.id },
          el('h3', {}, p.title),
          el('p', { class: 'price', testid: 'product-price' }, formatMoney(p.unitAmount, p.currency)),
          el('p', { class: 'small muted' }, soldOut ? 'Sold out' : p.stock == null ? 'In stock' : `${p.stock} left`),
          el(
            'button',
            {
              type: 'button',
              testid: 'add-to-cart',
              disabled: soldOut,
              'aria-label': `Add ${p.title} to cart`,
              onclick: () => setQuantity(p.id, (cart[p.id] || 0) + 1),
            },
            'Add to cart',
          ),
        );
      }),
    );
  }

  function renderCart() {
    const ids = Object.keys(cart);
    const totals = {}; // currency → minor units
    linesEl.replaceChildren(
      ...ids.map((id, index) => {
        const p = productById(id);
        if (p) totals[p.currency] = (totals[p.currency] || 0) + p.unitAmount * cart[id];
        const inputId = `qty-${id}`;
        return el(
          'div',
          { class: index === invalidLine ? 'line invalid' : 'line', testid: 'cart-line', 'data-product-id': id },
          el('span', { class: 'line-title' }, p ? p.title : products ? `${id} (no longer available)` : id),
          el('label', { for: inputId, class: 'visually-hidden' }, `Quantity of ${p ? p.title : id}`),
          el('input', {
            id: inputId,
            type: 'number',
            min: 1,
            max: maxQuantity(p),
            value: cart[id],
            testid: 'cart-quantity',
            onchange: (e) => setQuantity(id, e.target.value),
          }),
          el('span', { class: 'line-amount' }, p ? formatMoney(p.unitAmount * cart[id], p.currency) : '—'),
          el('button', { type: 'button', class: 'link', testid: 'cart-remove', onclick: () => setQuantity(id, 0) }, 'Remove'),
        );
      }),
    );
    if (ids.length === 0) linesEl.append(el('p', { class: 'muted', testid: 'cart-empty' }, 'Your cart is empty.'));

    const currencies = Object.keys(totals);
    totalEl.textContent = currencies.length ? currencies.map((c) => formatMoney(totals[c], c)).join(' + ') : '—';
    totalEl.dataset.amount = currencies.length === 1 ? totals[currencies[0]] : '';
    totalEl.dataset.currency = currencies.length === 1 ? currencies[0] : '';
    if (currencies.length > 1) {
      messageEl.replaceChildren(el('p', { class: 'alert' }, 'One order can only be paid in one currency: remove some items.'));
    }
    payButton.disabled = paying || ids.length === 0 || !products || currencies.length > 1;
  }

  async function pay() {
    const body = { items: Object.entries(cart).map(([productId, quantity]) => ({ productId, quantity })) };
    const email = $('#email').value.trim();
    if (email) body.customerEmail = email;

    // API: one Idempotency-Key per cart attempt. When an answer is lost (network error, 5xx) and the
    // customer clicks Pay again with the same cart, the same key makes the server answer with the order it
    // already created instead of creating a second one. A changed cart is a new attempt with a new key.
    const bodyText = JSON.stringify(body);
    let attempt = readJSON(ATTEMPT_KEY, null);
    if (!attempt || attempt.body !== bodyText) {
      attempt = { key: newIdempotencyKey(), body: bodyText };
      writeJSON(ATTEMPT_KEY, attempt);
    }

    invalidLine = -1;
    paying = true; // the Pay button stays disabled while the request is in flight
    renderCart();
    payButton.textContent = 'Contacting payment service…';
    messageEl.replaceChildren();
    try {
      // API: 201 {id, url, orderId, orderNumber}: the order exists as pending_payment, now send the
      // customer to the hosted payment page. The cart stays until the success page sees the order paid.
      const session = await api('POST', '/api/payments/create-checkout-session', {
        body,
        headers: { 'Idempotency-Key': attempt.key },
      });
      localStorage.removeItem(ATTEMPT_KEY);
      rememberOrder(session);
      payButton.textContent = 'Redirecting to payment…';
      goToCheckout(session.url);
      return; // keep the button disabled while the browser leaves
    } catch (err) {
      // A definite answer (4xx other than 429, or an order that was kept) ends this attempt; a lost one
      // (no answer, 429, 5xx) keeps the key so that clicking Pay again is a safe retry.
      const lost = err.status === 0 || err.status === 429 || err.status >= 500;
      if (!lost || err.orderId) localStorage.removeItem(ATTEMPT_KEY);
      if (err.code === 'stripe_unavailable' && err.orderId) {
        // 503: the order was saved without a payment page. Offer retry-session for *that* order.
        const box = el('div', {});
        messageEl.replaceChildren(
          el(
            'div',
            { class: 'alert error', role: 'alert', testid: 'error-message', 'data-error-code': err.code },
            el('p', {}, 'Payment service unavailable, your order is saved.'),
            retryButton(err.orderId, box),
            box,
          ),
        );
      } else {
        showError(messageEl, err);
        const m = err.field && /^items\[(\d+)\]/.exec(err.field);
        if (m) invalidLine = Number(m[1]); // point at the cart line the error is about
      }
    }
    paying = false;
    payButton.textContent = 'Pay';
    renderCart();
  }

  payButton.addEventListener('click', pay);
  // Another tab changed the cart: follow it.
  window.addEventListener('storage', (e) => {
    if (e.key === CART_KEY) {
      cart = readJSON(CART_KEY, {});
      renderCart();
    }
  });
  renderCart();
  await loadProducts();
}

// ---------------------------------------------------------------------------------------------
// success.html (also served at /checkout/success?session_id=…, where Stripe sends the customer back)

const STATUS_TEXT = {
  pending_payment: 'Waiting for the payment to be confirmed…',
  paid: 'Payment received. Thank you!',
  confirmed: 'Your order is confirmed. Thank you!',
  failed: 'The payment failed.',
  expired: 'The payment page expired before the payment was made.',
  refunded: 'This order has been refunded.',
  cancelled: 'This order was cancelled.',
};

/** Renders the public order (docs/API.md §4) into `container`. */
function renderOrder(container, order) {
  const parts = [
    el('p', {}, 'Order ', el('strong', { testid: 'order-number' }, order.orderNumber)),
    el(
      'p',
      {},
      'Status: ',
      el('span', { class: `badge badge-${order.status}`, testid: 'order-status', 'data-status': order.status }, order.status),
    ),
    el('p', { class: 'lead', testid: 'order-message' }, STATUS_TEXT[order.status] || ''),
    order.failureReason ? el('p', { class: 'small' }, 'Reason: ', order.failureReason) : null,
    el(
      'table',
      { class: 'items' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Item'), el('th', { class: 'num' }, 'Qty'), el('th', { class: 'num' }, 'Amount'))),
      el(
        'tbody',
        {},
        (order.items || []).map((it) =>
          el(
            'tr',
            {},
            el('td', {}, it.title),
            el('td', { class: 'num' }, it.quantity),
            el('td', { class: 'num' }, formatMoney(it.amountTotal, order.currency)),
          ),
        ),
      ),
      el(
        'tfoot',
        {},
        el(
          'tr',
          {},
          el('th', { colspan: 2 }, 'Total'),
          el('td', { class: 'num', testid: 'order-total' }, formatMoney(order.amountTotal, order.currency)),
        ),
      ),
    ),
    order.customerEmail ? el('p', { class: 'small muted' }, `A receipt goes to ${order.customerEmail}.`) : null,
  ];
  container.replaceChildren(...parts.filter(Boolean)); // (replaceChildren would print "null")
}

async function initSuccess() {
  const orderEl = $('#order');
  const messageEl = $('#message');
  const sessionId = new URLSearchParams(location.search).get('session_id');
  if (!sessionId) {
    showError(orderEl, new Error('This page needs a ?session_id=… in its address (Stripe adds it).'));
    return;
  }
  let polls = 0;
  let shown = false; // an order has been rendered; later errors go below it

  // API: GET /api/orders/by-session/:id. The webhook usually lands within a second or two of the redirect,
  // so poll every ~1.5 s while the order is pending_payment, a bounded number of times. (When the
  // webhook is late the server also asks Stripe itself, so polling converges either way.)
  async function poll() {
    polls += 1;
    try {
      const order = await api('GET', `/api/orders/by-session/${encodeURIComponent(sessionId)}`);
      renderOrder(orderEl, order);
      shown = true;
      messageEl.replaceChildren();
      if (order.status === 'paid' || order.status === 'confirmed') {
        localStorage.removeItem(CART_KEY); // paid: now the cart can go
        localStorage.removeItem(ORDER_KEY);
      } else if (order.status === 'pending_payment') {
        if (polls < MAX_POLLS) setTimeout(poll, POLL_INTERVAL_MS);
        else stillPending();
      } else if (order.status === 'failed' || order.status === 'expired') {
        // Declined or timed out: the order is kept, so offer a fresh payment page for it.
        const box = el('div', {});
        messageEl.replaceChildren(retryButton(order.id, box), box);
      }
    } catch (err) {
      // No answer or a 5xx is worth another try within the same budget; a 404 is final.
      const transient = err.status === 0 || err.status >= 500;
      const target = shown ? messageEl : orderEl;
      if (transient && polls < MAX_POLLS) {
        showError(target, err);
        setTimeout(poll, POLL_INTERVAL_MS);
      } else {
        showError(target, err, restart);
      }
    }
  }

  function stillPending() {
    messageEl.replaceChildren(
      el(
        'div',
        { class: 'alert', testid: 'still-pending' },
        el('p', {}, 'The payment is not confirmed yet. It can take a little longer; check again in a moment.'),
        el('button', { type: 'button', onclick: () => restart() }, 'Check again'),
      ),
    );
  }

  function restart() {
    polls = 0;
    messageEl.replaceChildren();
    poll();
  }

  await poll();
}

// ---------------------------------------------------------------------------------------------
// cancel.html (also served at /checkout/cancel?order_id=…, where Stripe sends the customer on "Back")

async function initCancel() {
  const orderEl = $('#order');
  const actionsEl = $('#actions');
  const messageEl = $('#message');
  const orderId = new URLSearchParams(location.search).get('order_id');
  if (!orderId) {
    showError(orderEl, new Error('This page needs an ?order_id=… in its address.'));
    return;
  }
  actionsEl.replaceChildren(retryButton(orderId, messageEl));

  // The public API looks orders up by session id only; this browser remembers the session it was sent
  // to, so show the order when it is ours. Otherwise the Retry button still works with the order id.
  const last = readJSON(ORDER_KEY, null);
  if (!last || last.orderId !== orderId || !last.sessionId) {
    orderEl.replaceChildren(el('p', { class: 'small muted' }, 'Order id: ', el('code', {}, orderId)));
    return;
  }
  orderEl.replaceChildren(el('p', {}, 'Order ', el('strong', { testid: 'order-number' }, last.orderNumber), ' is saved.'));
  try {
    const order = await api('GET', `/api/orders/by-session/${encodeURIComponent(last.sessionId)}`);
    renderOrder(orderEl, order);
    if (order.status === 'paid' || order.status === 'confirmed' || order.status === 'refunded') {
      // Paid after all (e.g. in another tab): no retry, show the order on the success page instead.
      actionsEl.replaceChildren(
        el('a', { class: 'button', href: `success.html?session_id=${encodeURIComponent(last.sessionId)}` }, 'View your order'),
      );
    }
  } catch (err) {
    showError(messageEl, err);
  }
}

// ---------------------------------------------------------------------------------------------

const PAGES = { shop: initShop, success: initSuccess, cancel: initCancel };
PAGES[document.body.dataset.page]();
