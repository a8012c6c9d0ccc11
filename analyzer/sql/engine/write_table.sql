-- A table written from outside DuckDB (another engine's result, as the registered Arrow table
-- engine_incoming): replaces {{table}} in the current schema, {{temp}} for a temporary one,
-- rows in {{order_by}} when given (analyzer/engine.py).
CREATE OR REPLACE {{temp}} TABLE {{table}} AS SELECT * FROM engine_incoming {{order_by}};
