"""Forges (GitHub, GitLab, Bitbucket, Azure DevOps): statuses, reviews, the sticky comment.

One folder per forge behind the Protocol in interface.py; registry.py lists them; http.py is
the one client they all call through; publish.py is what the rest of gate-runner calls.
"""
