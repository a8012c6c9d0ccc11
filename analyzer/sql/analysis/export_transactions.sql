-- The raw payments as one Parquet file, for an engine that reads Parquet (analyze --engine
-- spark on an ingested database; analyzer/engine.py). Instants stay UTC-adjusted, money
-- DECIMAL(18,2). {{path}}: the target file, a quoted literal (COPY takes no parameter).
COPY (SELECT * FROM main.transactions) TO {{path}} (FORMAT parquet);
