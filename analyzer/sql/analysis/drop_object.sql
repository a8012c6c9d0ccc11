-- Drop a derived table or view before it is built as the other kind (analysis/object_kind.sql):
-- {{kind}} TABLE or VIEW, {{table}} the quoted name.
DROP {{kind}} {{table}};
