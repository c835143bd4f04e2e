"""Helpers for the resilience tests (tests/test_resilience_*.py): a generated corpus of hostile
inputs, a CDN that streams oversized bodies and counts what it sent, and a recorder of what
the bot asked Discord to do with mentions."""
