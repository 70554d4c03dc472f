-- 0007: emotion detected per conversation turn.
CREATE TABLE emotion_history (
    id bigserial PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES ai_conversations (id),
    emotion text NOT NULL,
    score real NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_emotion_history_conversation ON emotion_history (conversation_id);
