// Admin page, after the payment: the payments, refunds, disputes and fraud-warning tables of an order and
// the refund actions (refund with a confirm step, "refund the duplicate", "refund now" for an actionable
// early fraud warning). Used by orderDetail() in admin.js; `act(label, path, body)` runs one admin action.
// API text enters the page only through text nodes.
'use strict';

const REFUND_REASONS = ['requested_by_customer', 'duplicate', 'fraudulent'];

/** What a Stripe payment can still refund: received − refunded − pending refunds (the server checks again). */
function refundable(order, payment) {
  if (payment.kind !== 'stripe' || !payment.paymentIntentId) return 0;
  const open = (order.refunds || [])
    .filter((r) => r.paymentIntentId === payment.paymentIntentId && (r.status === 'pending' || r.status === 'requires_action'))
    .reduce((sum, r) => sum + r.amount, 0);
  return Math.max(0, payment.amount - payment.amountRefunded - open);
}

/** The sections of the order detail that come after the payment. */
function afterPaymentSections(order, act) {
  const payments = order.payments || [];
  const stripePayments = payments.filter((p) => p.kind === 'stripe' && p.paymentIntentId);
  const money = (minor) => formatMoney(minor, order.currency);

  // --- refund form with a confirm step ----------------------------------------------------------
  const amount = el('input', { id: 'refund-amount', type: 'number', min: '1', step: '1', testid: 'refund-amount', placeholder: 'all that is left' });
  const reason = el('select', { id: 'refund-reason', testid: 'refund-reason' }, REFUND_REASONS.map((r) => el('option', { value: r }, r)));
  const note = el('input', { id: 'refund-note', type: 'text', maxlength: '500', testid: 'refund-note' });
  const payment = el(
    'select',
    { id: 'refund-payment', testid: 'refund-payment' },
    stripePayments.map((p) => el('option', { value: p.paymentIntentId }, `${p.paymentIntentId} (${money(refundable(order, p))} refundable)`)),
  );
  const restock = el('input', { id: 'refund-restock', type: 'checkbox', testid: 'refund-restock' });
  const confirm = el('div', { class: 'confirm', testid: 'refund-confirm', hidden: true });

  /** The body the refund would send, from the form. */
  function refundBody() {
    const body = { reason: reason.value };
    if (amount.value.trim() !== '') body.amount = Number(amount.value);
    if (note.value.trim() !== '') body.note = note.value.trim();
    if (payment.value) body.paymentId = payment.value;
    if (restock.checked) body.restock = true;
    return body;
  }

  /** Shows what will happen and asks once more; only the confirm button sends the refund. */
  function askConfirm(body, label) {
    const target = stripePayments.find((p) => p.paymentIntentId === body.paymentId) || stripePayments[0];
    const howMuch = body.amount !== undefined ? money(body.amount) : `all that is left (${money(target ? refundable(order, target) : 0)})`;
    confirm.replaceChildren(
      el('p', { testid: 'refund-confirm-text' }, `${label}: refund ${howMuch} of ${body.paymentId || 'the payment'} (${body.reason})${body.restock ? ', units back to stock' : ''}?`),
      el('div', { class: 'actions' },
        el('button', { type: 'button', testid: 'refund-confirm-button', onclick: () => { confirm.hidden = true; act(label, 'refunds', body); } }, 'Confirm refund'),
        el('button', { type: 'button', class: 'link', testid: 'refund-cancel-button', onclick: () => { confirm.hidden = true; } }, 'Cancel'),
      ),
    );
    confirm.hidden = false;
  }

  const refundForm = stripePayments.length === 0
    ? null
    : el(
      'form',
      { class: 'refund', testid: 'refund-form', onsubmit: (e) => { e.preventDefault(); askConfirm(refundBody(), 'Refund'); } },
      el('h3', {}, 'Refund'),
      el('label', { for: 'refund-payment' }, 'Payment'), payment,
      el('label', { for: 'refund-amount' }, `Amount in minor units of ${String(order.currency || '').toUpperCase()} (empty: all that is left)`), amount,
      el('label', { for: 'refund-reason' }, 'Reason'), reason,
      el('label', { for: 'refund-note' }, 'Note (kept with the refund)'), note,
      el('label', { for: 'refund-restock', class: 'check' }, restock, ' Return the units to stock (only with a refund of all that is left)'),
      el('div', { class: 'actions' }, el('button', { type: 'submit', testid: 'refund-button' }, 'Refund…')),
      confirm,
    );

  // --- payments: a second Stripe payment is a duplicate to give back --------------------------------
  const paymentRows = payments.map((p, index) => {
    const left = refundable(order, p);
    const duplicate = index > 0 && p.kind === 'stripe' && left > 0;
    return [
      el('code', {}, text(p.paymentIntentId || p.sessionId || 'manual')),
      duplicate ? el('span', { class: 'badge badge-failed', testid: 'duplicate-payment' }, 'duplicate') : p.kind,
      money(p.amount),
      money(p.amountRefunded),
      p.status,
      formatTime(p.createdAt),
      duplicate
        ? el('button', {
          type: 'button',
          testid: 'refund-duplicate',
          onclick: () => askConfirm({ reason: 'duplicate', paymentId: p.paymentIntentId, note: 'duplicate payment' }, 'Refund the duplicate'),
        }, 'Refund the duplicate')
        : '',
    ];
  });

  // --- early fraud warnings: "refund now" while actionable ------------------------------------------
  const warningRows = (order.fraudWarnings || []).map((w) => {
    const target = stripePayments.find((p) => p.paymentIntentId === w.paymentIntentId);
    const canRefund = w.actionable && target && refundable(order, target) > 0;
    return [
      el('code', {}, text(w.id)),
      w.fraudType,
      w.actionable ? 'yes' : 'no',
      formatTime(w.createdAt),
      canRefund
        ? el('button', {
          type: 'button',
          testid: 'refund-now',
          onclick: () => askConfirm({ reason: 'fraudulent', paymentId: w.paymentIntentId, note: `early fraud warning ${w.id}` }, 'Refund now'),
        }, 'Refund now')
        : '',
    ];
  });

  return [
    el('section', { class: 'panel order-actions', testid: 'refunds-panel' },
      el('h2', {}, 'Payments'),
      el('p', { class: 'badges' }, 'Refunds ', badge(order.refundStatus || 'none', 'detail-refund-status'), ' Disputes ', badge(order.disputeStatus || 'none', 'detail-dispute-status')),
      table(['Payment', 'Kind', 'Received', 'Refunded', 'Status', 'Created', ''], paymentRows, 'No payment yet.'),
      refundForm,
    ),
    el('section', { class: 'panel' }, el('h2', {}, 'Refunds'), el('div', { testid: 'refunds-table' }, table(
      ['Refund', 'Payment', 'Amount', 'Status', 'Reason', 'By', 'Note', 'Updated'],
      (order.refunds || []).map((r) => [
        el('code', {}, text(r.id)),
        el('code', {}, text(r.paymentIntentId)),
        money(r.amount),
        badge(r.status, 'refund-status'),
        r.failureReason ? `${text(r.reason)} (failed: ${r.failureReason})` : r.reason,
        r.requestedBy,
        r.note,
        formatTime(r.updatedAt),
      ]),
      'No refunds.',
    ))),
    el('section', { class: 'panel' }, el('h2', {}, 'Disputes'), table(
      ['Dispute', 'Payment', 'Amount', 'Reason', 'Status', 'Evidence due'],
      (order.disputes || []).map((d) => [el('code', {}, text(d.id)), el('code', {}, text(d.paymentIntentId)), money(d.amount), d.reason, badge(d.status), formatTime(d.evidenceDueBy)]),
      'No disputes.',
    )),
    el('section', { class: 'panel' }, el('h2', {}, 'Early fraud warnings'), table(
      ['Warning', 'Fraud type', 'Actionable', 'Created', ''],
      warningRows,
      'No fraud warnings.',
    )),
  ];
}
