-- The demo catalog `make run` (and the browser tests) load into an EMPTY products table.
-- A fixed file, run through psql: it inserts nothing when any product exists, so products you edit
-- or add on the admin page are never overwritten. Prices in minor units (cents), stock NULL = unlimited.
INSERT INTO products (id, title, unit_amount, currency, active, stock)
SELECT v.id, v.title, v.unit_amount, v.currency, true, v.stock
FROM (VALUES
    ('sku_mug',      'Enamel camp mug',            1800, 'usd', NULL::integer),
    ('sku_tee',      'Organic cotton tee',         2500, 'usd', NULL),
    ('sku_socks',    'Merino hiking socks',        1400, 'usd', NULL),
    ('sku_poster',   'Risograph trail map poster', 3200, 'usd', 25),
    ('sku_stickers', 'Sticker pack',                500, 'usd', NULL),
    ('sku_lantern',  'Limited-edition lantern',    6400, 'usd', 3)
) AS v (id, title, unit_amount, currency, stock)
WHERE NOT EXISTS (SELECT 1 FROM products);
