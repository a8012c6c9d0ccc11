-- The temp tables and views of one file, dropped once it is loaded.
DROP VIEW IF EXISTS _stage;
DROP TABLE IF EXISTS _stage_rows;
DROP TABLE IF EXISTS _line_shift;
DROP TABLE IF EXISTS _line_map;
DROP TABLE IF EXISTS _file_check;
DROP TABLE IF EXISTS _rejected;
DROP TABLE IF EXISTS _dupkeys;
DROP TABLE IF EXISTS _duprows;
DROP TABLE IF EXISTS _verdicts;
DROP TABLE IF EXISTS _dup_lines;
DROP TABLE IF EXISTS _stage_dups;
DROP VIEW IF EXISTS _stage_raw;
DROP TABLE IF EXISTS _cfg;
DROP TABLE IF EXISTS _cfg_model;
