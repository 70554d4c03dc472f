-- The demo's seed data, run with psycopg client-side parameters bot and hash (so modulo is doubled).
SELECT setseed(0.42);
INSERT INTO companies (name, created_at)
SELECT (ARRAY['Acme', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne', 'Hooli', 'Vandelay',
              'Soylent', 'Tyrell'])[1 + g %% 10] || ' ' ||
       (ARRAY['Industries', 'Logistics', 'Foods', 'Retail', 'Labs'])[1 + (g / 10) %% 5]
           || ' #' || g,
       now() - (g || ' days')::interval
FROM generate_series(1, 200) g;

INSERT INTO products (sku, name, price)
SELECT 'SKU-' || lpad(g::text, 5, '0'),
       (ARRAY['Pallet', 'Crate', 'Sensor', 'Valve', 'Cable', 'Panel'])[1 + g %% 6]
           || ' model ' || g,
       round((5 + random() * 995)::numeric, 2)
FROM generate_series(1, 500) g;

INSERT INTO purchase_orders
    (buyer_company_id, seller_company_id, product_id, status, quantity, total_amount,
     created_at, updated_at)
SELECT b, 1 + (b + 1 + (random() * 197)::int) %% 200, p, s, q, q * 12.50, c, c + interval '2 hours'
FROM (
    SELECT 1 + (random() * 199)::int AS b,
           1 + (random() * 499)::int AS p,
           (ARRAY['draft', 'submitted', 'approved', 'shipped', 'delivered', 'cancelled'])
               [1 + (random() * 5)::int] AS s,
           1 + (random() * 99)::int AS q,
           now() - random() * interval '365 days' AS c
    FROM generate_series(1, 50000)
) o;

INSERT INTO users (email, password_hash, created_at) VALUES (%(bot)s, %(hash)s, now());
INSERT INTO users (email, password_hash, created_at)
SELECT 'user' || g || '@example.com', %(hash)s, now() - (g || ' hours')::interval
FROM generate_series(2, 1000) g;

INSERT INTO orders (user_id, status, total, created_at)
SELECT 1 + (random() * 999)::int, (ARRAY['pending', 'paid', 'shipped'])[1 + g %% 3],
       round((10 + random() * 490)::numeric, 2), now() - random() * interval '90 days'
FROM generate_series(1, 3000) g;
INSERT INTO payments (order_id, amount, recorded_at)
SELECT id, total, created_at + interval '5 minutes' FROM orders WHERE status <> 'pending';

INSERT INTO credit_scores (user_id, score, computed_at)
SELECT id, 300 + (random() * 550)::int, now() - random() * interval '30 days' FROM users;

INSERT INTO ai_conversations (user_id, created_at)
SELECT 2 + (random() * 997)::int, now() - random() * interval '30 days'
FROM generate_series(1, 300);
INSERT INTO ai_messages (conversation_id, role, content, created_at)
SELECT 1 + (g - 1) %% 300, (ARRAY['user', 'assistant'])[1 + g %% 2],
       (ARRAY['I feel great today', 'I am worried about my order', 'Thanks for the help',
              'This is terrible', 'When does my booking start?'])[1 + g %% 5],
       now() - random() * interval '30 days'
FROM generate_series(1, 1500) g;
INSERT INTO emotion_history (conversation_id, emotion, score, created_at)
SELECT 1 + (g - 1) %% 300, (ARRAY['joy', 'fear', 'neutral', 'anger', 'sadness'])[1 + g %% 5],
       round(random()::numeric, 2), now() - random() * interval '30 days'
FROM generate_series(1, 1500) g;

INSERT INTO bookings (user_id, starts_at, status, created_at)
SELECT 2 + (random() * 997)::int, now() + random() * interval '60 days',
       (ARRAY['confirmed', 'cancelled', 'confirmed', 'pending'])[1 + g %% 4], now()
FROM generate_series(1, 500) g;
