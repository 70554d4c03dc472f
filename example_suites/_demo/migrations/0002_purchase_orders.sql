-- 0002: purchase orders between companies.
CREATE TABLE purchase_orders (
    id bigserial PRIMARY KEY,
    buyer_company_id integer NOT NULL REFERENCES companies (id),
    seller_company_id integer NOT NULL REFERENCES companies (id),
    product_id integer NOT NULL REFERENCES products (id),
    status text NOT NULL DEFAULT 'draft',
    quantity integer NOT NULL CHECK (quantity > 0),
    total_amount numeric(14, 2) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
