"""Step Functions: moto's interpreter made fast and safe under concurrency, and synchronous
executions (`StartSyncExecution`, which moto lacks)."""
