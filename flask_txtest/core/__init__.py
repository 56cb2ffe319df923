"""The isolation engine: framework-neutral, no test-runner vocabulary."""
