"""SQS: what moto lacks of it (moving dead-letter messages back to their queues)."""
