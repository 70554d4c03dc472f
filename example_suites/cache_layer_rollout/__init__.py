"""Example suite: the cache-layer rollout checklist (seed cache-layer-rollout.md) as checks."""
