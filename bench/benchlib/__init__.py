"""Helpers for bench/run (direct PostgreSQL vs pgveil vs pgbouncer)."""
