"""Deployment safety (D1-D3): what a blue-green switch and a rollback must keep, and when a rollback must fire."""
