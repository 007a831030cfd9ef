"""Read models: pure apply functions per view, a batch runner with atomic checkpoints, and its shells."""
