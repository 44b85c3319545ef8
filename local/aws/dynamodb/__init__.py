"""DynamoDB and DynamoDB Streams: moto with atomic conditional writes, item-level transaction
backups, key-ordered indexes, TTL expiry and in-process answers."""
