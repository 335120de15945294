ALTER TABLE products ADD COLUMN sku text;
CREATE UNIQUE INDEX CONCURRENTLY products_sku_key ON products (sku);
