"""Example suite: the AI-chat Phase 2A+2C performance release checklist as executable checks."""
