-- 0010: monitoring view over purchase orders per day and status.
CREATE VIEW v_po_daily_stats AS
SELECT date_trunc('day', created_at) AS day,
       status,
       count(*) AS orders,
       sum(total_amount) AS total_amount
FROM purchase_orders
GROUP BY 1, 2;
