-- 0009: purchase orders remember when they last changed.
ALTER TABLE purchase_orders ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
