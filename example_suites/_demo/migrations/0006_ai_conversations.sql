-- 0006: AI chat conversations and messages.
CREATE TABLE ai_conversations (
    id bigserial PRIMARY KEY,
    user_id integer,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_ai_conversations_user ON ai_conversations (user_id);

CREATE TABLE ai_messages (
    id bigserial PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES ai_conversations (id),
    role text NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    content text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_ai_messages_conversation ON ai_messages (conversation_id);
CREATE INDEX idx_ai_messages_created ON ai_messages (created_at);
