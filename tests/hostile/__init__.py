"""Hostile input suite: what a policy, a repository or a server can craft, each a clean error."""
