// checkout-server admin page: the order's "Checkout totals" panel (what the paying session charged,
// the shipping address, the recovery link). Loaded before admin.js, which calls checkoutPanel(order)
// when it renders an order; uses its el/details/text/formatTime helpers and common.js's formatMoney.
'use strict';

/** One line of an address ("Unter den Linden 1, 10117 Berlin, DE"), or null. */
function formatAddress(address) {
  if (!address) return null;
  const place = [address.postalCode, address.city].filter(Boolean).join(' ');
  const parts = [address.name, address.line1, address.line2, place, address.state, address.country].filter(Boolean);
  return parts.length ? parts.join(', ') : null;
}

/** The panel, or null when the order has nothing of Checkout's to show. */
function checkoutPanel(order) {
  const checkout = order.checkout || {};
  const totals = order.checkoutTotals;
  const adjustments = checkout.adjustments || [];
  if (!totals && !checkout.recovery && !checkout.shippingAddress && adjustments.length === 0) return null;
  const money = (amount) => formatMoney(amount, order.currency);
  const pairs = [['Allowed adjustments', adjustments.length ? adjustments.join(', ') : 'none (items’ sum only)']];
  if (totals) {
    pairs.push(
      ['Subtotal', money(totals.amountSubtotal)],
      ['Discount', totals.amountDiscount ? `−${money(totals.amountDiscount)}` : money(0)],
      ['Promotion code', totals.promotionCode],
      ['Tax', money(totals.amountTax)],
      ['Shipping', money(totals.amountShipping)],
      ['Charged', money(totals.amountTotal)],
    );
  }
  const customer = checkout.customerDetails;
  if (customer) pairs.push(['Customer (Checkout)', [customer.name, customer.email, customer.phone].filter(Boolean).join(' · ') || null]);
  if (checkout.shippingAddress) pairs.push(['Ship to', formatAddress(checkout.shippingAddress)]);
  if (checkout.recovery) {
    const r = checkout.recovery;
    pairs.push(
      ['Recovery link', el('code', { testid: 'detail-recovery-url' }, r.url)],
      ['Recovery link valid until', formatTime(r.expiresAt)],
      ['Promotional e-mail consent', r.promotionsConsent ? `${r.promotionsConsent}${r.mayEmail ? ' (link may be e-mailed)' : ''}` : 'not asked'],
    );
  }
  return el('section', { class: 'panel', testid: 'detail-checkout' }, el('h2', {}, 'Checkout totals'), details(pairs));
}
