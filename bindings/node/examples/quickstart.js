// The README's example: compile coupons, choose the best for a checkout.
const { Catalog } = require('couponlib');

const catalog = Catalog.compile({ name: 'shop.yaml', source: `
version: 1
currency: USD
timezone: America/New_York
coupons:
  - code: WELCOME10
    name: 10% off your first order
    automatic: true
    when: { order.sequence: 1 }
    discount: { percent: 10, max_amount: "25.00" }
  - code: WEEKEND
    name: free shipping on weekends over 50.00
    automatic: true
    when: { weekday: weekend, cart.subtotal: { gte: "50.00" } }
    discount: { free_shipping: true }
` });

const choice = catalog.best({
  now: '2026-11-28T15:30:00Z',            // a Saturday
  currency: 'USD',
  user: { id: 'u-42', orders_completed: 0 },
  shipping: { amount: '4.99' },
  items: [{ sku: 'TV-55', quantity: 1, unit_price: '499.99', categories: ['electronics/tv'] }],
});
console.log(choice.coupons, choice.discount, choice.shipping_discount, choice.total);
// [ 'WEEKEND', 'WELCOME10' ] 25.00 4.99 474.99
