// checkout-server admin page: subscriptions (loaded before admin.js, which routes here).
//   #/subscriptions[?status=…&q=…]   subscriptions table
//   #/subscriptions/<id>             subscription detail: its orders (checkout + renewals), invoices, cancel
// Uses admin.js's api(), el(), table(), badge(), details(), formatTime(), showError() at call time.
'use strict';

const SUBSCRIPTION_STATUSES = ['active', 'past_due', 'unpaid', 'canceled', 'incomplete', 'trialing', 'paused'];

/** Route entry: true when `path` is a subscriptions view (it is rendered). */
function routeSubscriptions(path, params) {
  if (path === '/subscriptions') {
    renderSubscriptions(params);
    return true;
  }
  const match = /^\/subscriptions\/([^/]+)$/.exec(path);
  if (match) {
    renderSubscription(decodeURIComponent(match[1]));
    return true;
  }
  return false;
}

function renderSubscriptions(params) {
  const gen = generation;
  const apply = (e) => {
    if (e) e.preventDefault();
    const next = new URLSearchParams();
    if (form.elements.status.value) next.set('status', form.elements.status.value);
    if (form.elements.q.value.trim()) next.set('q', form.elements.q.value.trim());
    location.hash = `#/subscriptions${next.toString() ? '?' + next : ''}`;
  };
  const form = el(
    'form',
    { class: 'filters', role: 'search', onsubmit: apply },
    select('status', 'Status', SUBSCRIPTION_STATUSES, params.get('status'), 'subscription-filter-status', apply),
    el(
      'div',
      { class: 'field grow' },
      el('label', { for: 'q' }, 'Customer email'),
      el('input', { id: 'q', name: 'q', type: 'search', value: params.get('q') || '', testid: 'subscription-search' }),
    ),
    el('button', { type: 'submit', testid: 'subscription-filter-apply' }, 'Apply'),
  );
  const body = el('div', { 'aria-live': 'polite' }, el('p', { class: 'muted' }, 'Loading…'));
  view.replaceChildren(el('h1', {}, 'Subscriptions'), form, body);

  async function load() {
    const query = new URLSearchParams(params);
    query.set('limit', '200');
    try {
      const data = await api('GET', `/api/admin/subscriptions?${query}`);
      if (gen !== generation) return;
      const rows = (data.subscriptions || []).map((s) => [
        el(
          'span',
          {},
          el('a', { href: `#/subscriptions/${encodeURIComponent(s.id)}`, testid: 'subscription-link' }, s.id),
          s.needsAttention ? el('span', { class: 'flag', testid: 'subscription-attention' }, 'needs attention') : null,
        ),
        formatTime(s.createdAt),
        text(s.customerEmail),
        badge(s.status, 'subscription-status'),
        formatTime(s.nextRenewalAt),
        s.cancelAtPeriodEnd ? 'at period end' : '—',
      ]);
      const t = table(['Subscription', 'Created', 'Customer', 'Status', 'Next renewal', 'Cancels'], rows, 'No subscriptions match these filters.');
      if (t.setAttribute) t.setAttribute('data-testid', 'subscriptions-table');
      body.replaceChildren(t);
    } catch (err) {
      if (gen === generation) showError(body, err, load);
    }
  }
  load();
}

function renderSubscription(id) {
  const gen = generation;
  const body = el('div', {}, el('p', { class: 'muted' }, 'Loading…'));
  const result = el('div', { class: 'result', testid: 'subscription-action-result', 'aria-live': 'polite' });
  view.replaceChildren(el('p', {}, el('a', { href: '#/subscriptions', testid: 'back-to-subscriptions' }, '← All subscriptions')), body);

  async function cancel(atPeriodEnd) {
    const buttons = document.querySelectorAll('.subscription-actions button');
    buttons.forEach((b) => (b.disabled = true));
    result.replaceChildren(el('p', { class: 'muted' }, 'Cancelling…'));
    try {
      await api('POST', `/api/admin/subscriptions/${encodeURIComponent(id)}/cancel`, { atPeriodEnd });
      result.replaceChildren(el('p', { class: 'alert ok', testid: 'subscription-action-ok' }, atPeriodEnd ? 'Cancels at the end of the period.' : 'Cancelled.'));
      await load();
    } catch (err) {
      showError(result, err);
      buttons.forEach((b) => (b.disabled = false));
    }
  }

  async function load() {
    try {
      const s = await api('GET', `/api/admin/subscriptions/${encodeURIComponent(id)}`);
      if (gen !== generation) return;
      const orders = (s.orders || []).map((o) => [
        el('a', { href: `#/orders/${encodeURIComponent(o.id)}`, testid: 'subscription-order-link' }, text(o.orderNumber)),
        formatTime(o.createdAt),
        badge(o.status, 'subscription-order-status'),
        badge(o.fulfillmentStatus),
        formatMoney(o.amountTotal, o.currency),
      ]);
      const invoices = (s.invoices || []).map((i) => [
        i.id,
        text(i.billingReason),
        badge(i.status),
        String(i.failureCount),
        formatMoney(i.amount, i.currency),
        formatTime(i.createdAt),
      ]);
      const ordersTable = table(['Order', 'Created', 'Status', 'Fulfillment', 'Amount'], orders, 'No orders yet.');
      if (ordersTable.setAttribute) ordersTable.setAttribute('data-testid', 'subscription-orders');
      const parts = [
        el('h1', {}, `Subscription ${s.id}`),
        s.needsAttention ? el('p', { class: 'alert error', testid: 'subscription-attention-reason' }, s.attentionReason) : null,
        details([
          ['Status', badge(s.status, 'subscription-detail-status')],
          ['Stripe says', text(s.stripeStatus)],
          ['Customer', `${text(s.customerEmail)} (${text(s.customerId)})`],
          ['Current period', `${formatTime(s.currentPeriodStart)} – ${formatTime(s.currentPeriodEnd)}`],
          ['Next renewal', formatTime(s.nextRenewalAt)],
          ['Cancels at period end', s.cancelAtPeriodEnd ? 'yes' : 'no'],
          ['Canceled at', formatTime(s.canceledAt)],
          ['Checkout order', s.orderId ? el('a', { href: `#/orders/${encodeURIComponent(s.orderId)}` }, s.orderId) : '—'],
        ]),
        el(
          'section',
          { class: 'panel subscription-actions' },
          el('h2', {}, 'Actions'),
          el(
            'div',
            { class: 'actions' },
            el('button', { type: 'button', testid: 'subscription-cancel-end', onclick: () => cancel(true) }, 'Cancel at period end'),
            el('button', { type: 'button', class: 'danger', testid: 'subscription-cancel-now', onclick: () => cancel(false) }, 'Cancel now'),
          ),
          result,
        ),
        el('h2', {}, 'Orders'),
        ordersTable,
        el('h2', {}, 'Invoices'),
        table(['Invoice', 'Reason', 'Status', 'Failures', 'Amount', 'Created'], invoices, 'No invoices reported yet.'),
      ];
      body.replaceChildren(...parts.filter(Boolean));
    } catch (err) {
      if (gen === generation) showError(body, err, load);
    }
  }
  load();
}
