-- Loyalty tiers: every customer belongs to one.
CREATE TABLE loyalty_tiers (
  id   serial PRIMARY KEY,
  name varchar(50) NOT NULL
);

ALTER TABLE customers ADD COLUMN tier_id integer NOT NULL REFERENCES loyalty_tiers (id);

ALTER TABLE customers RENAME COLUMN name TO full_name;
