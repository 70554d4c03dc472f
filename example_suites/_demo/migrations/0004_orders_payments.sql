-- 0004: orders and payments.
CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    user_id integer NOT NULL REFERENCES users (id),
    status text NOT NULL DEFAULT 'pending',
    total numeric(12, 2) NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_orders_user ON orders (user_id);

CREATE TABLE payments (
    id bigserial PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES orders (id),
    amount numeric(12, 2) NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_payments_order ON payments (order_id);
