-- 0012: purchase-order query optimisation (ENABLE_PO_QUERY_OPTIMIZATION).
CREATE INDEX idx_po_buyer_company ON purchase_orders (buyer_company_id);
CREATE INDEX idx_po_seller_company ON purchase_orders (seller_company_id);
CREATE INDEX idx_po_product ON purchase_orders (product_id);
CREATE INDEX idx_po_status_created ON purchase_orders (status, created_at);
CREATE INDEX idx_po_created_at ON purchase_orders (created_at DESC);
