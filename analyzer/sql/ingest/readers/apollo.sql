-- Apollo (ApolloConfigDB): the changes of a ReleaseHistory export, one row per record of the
-- file being read (readers/apollo.py).
-- Templates (relations built by the reader from the command's Apollo files, every column text):
--   {{history}}  every ReleaseHistory record (_mine: of the file being read; _line, _raw), with
--                the joined export's release columns (ReleaseKey, ReleaseName, ReleaseComment,
--                Configurations, PreviousConfigurations) where the file has them
--   {{releases}} every Release record (Id, ReleaseKey, Name, Comment, Configurations)
-- The main line of a namespace is the history rows with BranchName = ClusterName and Operation
-- 0 (publish), 1 (rollback: ReleaseId is the release it restores, PreviousReleaseId the one it
-- abandons; a rollback writes no Release of its own) or 4 (a gray release merged into the main
-- line). The other operations (2, 3, 5 to 8) act on gray branches: skipped, not rows. An
-- Operation outside 0 to 8 cannot be read: the record is quarantined (_kind 'reject', _why).
-- A Release record is the configuration of the change that published it: read as its own file,
-- it gives that change again, identical, and the loader collapses the two (a duplicate); a
-- release no main-line publish points at (a gray release) is skipped.
-- Configurations are Apollo's own JSON text (Gson: a flat key -> string map), kept as they are.
-- Grain: one row per record of the file being read.
CREATE OR REPLACE TEMP TABLE _apollo_records AS
WITH history AS (
    SELECT *, TRY_CAST(Operation AS INTEGER) AS _op FROM ({{history}})
), releases AS (
    SELECT * FROM ({{releases}})
), release_facts AS (
    -- what any file tells about a release: the Release table, or the joined export's columns
    SELECT Id, ReleaseKey, Name, Comment, Configurations FROM releases
    UNION ALL
    SELECT ReleaseId, ReleaseKey, ReleaseName, ReleaseComment, Configurations FROM history
    UNION ALL
    SELECT PreviousReleaseId, NULL, NULL, NULL, PreviousConfigurations FROM history
), rel AS (
    SELECT Id, any_value(ReleaseKey) AS ReleaseKey, any_value(Name) AS Name, any_value(Comment) AS Comment,
           any_value(Configurations) AS Configurations
    FROM release_facts
    WHERE Id IS NOT NULL AND Id <> '0'
    GROUP BY Id
), changes AS (
    SELECT
        h.* EXCLUDE (ReleaseKey, ReleaseName, ReleaseComment, Configurations, PreviousConfigurations),
        CASE WHEN h._op IS NULL OR h._op NOT BETWEEN 0 AND 8 THEN 'reject'
             WHEN h._op IN (0, 1, 4) AND h.BranchName = h.ClusterName THEN 'change'
             ELSE 'skip' END AS _kind,
        CASE WHEN h._op IS NULL OR h._op NOT BETWEEN 0 AND 8 THEN
             'Operation ' || coalesce('''' || h.Operation || '''', '(empty)')
             || ' is not an Apollo ReleaseOperation (0 to 8)' END AS _why,
        r.ReleaseKey, r.Name AS ReleaseName, r.Comment AS ReleaseComment,
        r.Configurations, p.Configurations AS PreviousConfigurations,
        h.Id AS change_id,
        h.DataChange_CreatedTime AS ts,
        h.DataChange_CreatedBy AS actor,
        CASE WHEN h._op = 1 THEN 'rollback'
             WHEN coalesce(h.PreviousReleaseId, '0') = '0' THEN 'create'
             ELSE 'update' END AS action,
        coalesce(r.ReleaseKey, h.ReleaseId) AS version,
        -- the release comment says why; a rollback's release is the restored one, not its own
        CASE WHEN h._op <> 1 THEN r.Comment END AS ticket,
        concat_ws('/', h.AppId, h.ClusterName, h.NamespaceName) AS object,
        r.Configurations AS config_raw,
        p.Configurations AS previous_raw,
        'apollo' AS source_format,
        TRY_CAST(h.Id AS BIGINT) AS seq
    FROM history h
    LEFT JOIN rel r ON r.Id = h.ReleaseId
    LEFT JOIN rel p ON p.Id = h.PreviousReleaseId
), published AS (
    -- the main-line change that published each release
    SELECT * FROM changes WHERE _kind = 'change' AND _op IN (0, 4)
    QUALIFY row_number() OVER (PARTITION BY ReleaseId ORDER BY seq, change_id) = 1
)
SELECT * EXCLUDE (_op) FROM changes WHERE _mine
UNION ALL BY NAME
SELECT c.* EXCLUDE (_op, _mine, _line, _raw, _kind, _why), rr._mine, rr._line, rr._raw,
       CASE WHEN c.change_id IS NOT NULL THEN 'change' ELSE 'skip' END AS _kind, CAST(NULL AS VARCHAR) AS _why
FROM releases rr
LEFT JOIN published c ON c.ReleaseId = rr.Id
WHERE rr._mine;
