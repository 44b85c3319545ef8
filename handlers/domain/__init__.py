"""Slate's domain layer: keys, entities, statuses and the repository, shared by every handler.

Runs inside Lambda next to the handlers; imports nothing from Pulumi or the local cloud.
"""
