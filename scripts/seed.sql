-- The demo catalog `make run` (and the browser tests) load into an EMPTY products table.
-- A fixed file, run through psql: it inserts nothing when any product exists, so products you edit
-- or add on the admin page are never overwritten. Prices in minor units (cents), stock NULL = unlimited.
-- sku_coffee_club is a subscription (a recurring price: every 2 weeks): a cart with it checks out in
-- Stripe's subscription mode, one-time items alongside.
INSERT INTO products (id, title, unit_amount, currency, active, stock, recurring_interval, recurring_interval_count)
SELECT v.id, v.title, v.unit_amount, v.currency, true, v.stock, v.interval, v.interval_count
FROM (VALUES
    ('sku_mug',         'Enamel camp mug',                  1800, 'usd', NULL::integer, NULL::text, NULL::integer),
    ('sku_tee',         'Organic cotton tee',               2500, 'usd', NULL, NULL, NULL),
    ('sku_socks',       'Merino hiking socks',              1400, 'usd', NULL, NULL, NULL),
    ('sku_poster',      'Risograph trail map poster',       3200, 'usd', 25, NULL, NULL),
    ('sku_stickers',    'Sticker pack',                      500, 'usd', NULL, NULL, NULL),
    ('sku_lantern',     'Limited-edition lantern',          6400, 'usd', 3, NULL, NULL),
    ('sku_coffee_club', 'Coffee club: beans every 2 weeks', 1600, 'usd', NULL, 'week', 2)
) AS v (id, title, unit_amount, currency, stock, interval, interval_count)
WHERE NOT EXISTS (SELECT 1 FROM products);
