-- Q1's text filter (a substring of an item's or sub-item's code or name)
-- as a trigram index: search_text joins a version's search terms with a
-- separator no term holds, and the index answers LIKE '%text%' on it, a
-- prefilter that the exact per-term test then confirms. Without pg_trgm
-- (not installed, or no right to create it) the same filter runs without
-- the index.
CREATE FUNCTION search_text(terms text[]) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN array_to_string(terms, E'\x1f');

DO $$
DECLARE
    ext_schema text;
BEGIN
    -- The extension is the database's, shared by every generation, so it
    -- lives in catalogue_meta (the registry's schema), never in a
    -- generation that a rebuild drops. The lock is the registry's
    -- (registryLock): generations migrating at once create it once.
    PERFORM pg_advisory_xact_lock(1919248233, 0);
    BEGIN
        CREATE SCHEMA IF NOT EXISTS catalogue_meta;
        CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA catalogue_meta;
    EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported OR object_not_in_prerequisite_state THEN
        RAISE NOTICE 'pg_trgm is not available (%): catalogue text search runs without its index', SQLERRM;
    END;
    SELECT n.nspname INTO ext_schema
        FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    IF ext_schema IS NOT NULL THEN
        EXECUTE format('CREATE INDEX item_versions_search ON item_versions USING gin (search_text(search) %I.gin_trgm_ops)', ext_schema);
    END IF;
END $$;
