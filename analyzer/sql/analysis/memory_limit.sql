-- DuckDB's memory limit for this connection (analyze sets its own for its duration, then puts
-- the previous one back). Parameters: $memory_limit (e.g. '1536MB').
SET memory_limit = $memory_limit;
