"""What the database suite needs from MongoDB, read-only: connection, index comparison, plan analysis, counters."""
