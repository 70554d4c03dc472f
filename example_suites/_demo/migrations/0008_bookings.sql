-- 0008: bookings.
CREATE TABLE bookings (
    id bigserial PRIMARY KEY,
    user_id integer,
    starts_at timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'confirmed',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_bookings_user ON bookings (user_id);
