-- 0005: credit scores, one per user.
CREATE TABLE credit_scores (
    user_id integer PRIMARY KEY REFERENCES users (id),
    score integer NOT NULL CHECK (score BETWEEN 300 AND 850),
    computed_at timestamptz NOT NULL DEFAULT now()
);
