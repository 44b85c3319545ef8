"""Lambda: the in-process function runtime, its event source mappings and its logs."""
