"""Real servers on 127.0.0.1 for the project's own tests (PostgreSQL, Redis, HTTP, Docker)."""
