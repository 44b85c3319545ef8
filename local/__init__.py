"""Runs Pulumi Python programs on this machine: the in-process engine and `plan`.

Knows AWS resource types, never the domain of the program it runs.
"""
