-- Order tracking: carriers give us a code, and support wants to know who handled an order.
ALTER TABLE orders ADD COLUMN tracking_code varchar(64);
ALTER TABLE orders ADD COLUMN handled_by integer;
ALTER TABLE orders ADD CONSTRAINT orders_handled_by_fkey
  FOREIGN KEY (handled_by) REFERENCES customers (id);

-- Support searches orders by tracking code.
CREATE INDEX orders_tracking_code_idx ON orders (tracking_code);

-- Bulk orders overflow integer quantities.
ALTER TABLE order_items ALTER COLUMN quantity TYPE bigint;

-- Old orders never had a total: backfill from their items.
UPDATE orders SET total_cents = (
  SELECT coalesce(sum(quantity * price_cents), 0) FROM order_items WHERE order_items.order_id = orders.id
);

ALTER TABLE orders ADD COLUMN delivered_at timestamp;
