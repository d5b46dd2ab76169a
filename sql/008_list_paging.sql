-- 008: the list's sort orders, search and cursor paging, as
-- docs/API.md "Sorting and search" and docs/API.md "Cursor paging" say.
--
-- Search: q matches a title or description that holds it, both folded by
-- lower() under the ICU root collation ("und-x-icu"), which lower-cases
-- every script (the cluster of make run is lc_collate C, whose lower()
-- folds ASCII only). pg_trgm's GIN index serves LIKE '%...%' on the same
-- expressions, so a selective term reads the few rows that hold it, not
-- every task of the user. pg_trgm is a trusted extension (PostgreSQL 13
-- and later): the database's owner, who runs the migrations, may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX tasks_search_idx ON tasks USING gin (
    lower(title COLLATE "und-x-icu") gin_trgm_ops,
    lower(description COLLATE "und-x-icu") gin_trgm_ops);

-- The other sort orders, read forwards or backwards from the cursor's row
-- (the created_at order has tasks_user_created_idx, 001). Titles sort by
-- code point (COLLATE "C": the byte order of UTF-8), the same on every
-- server, whatever its locale. With completed, these orders read their
-- index and skip the other state's rows; only created_at, the default,
-- has an index per state (003), to keep the cost of every write low.
CREATE INDEX tasks_user_updated_idx ON tasks (user_id, updated_at, id);
CREATE INDEX tasks_user_title_idx ON tasks (user_id, title COLLATE "C", id);

-- One page of the subject's tasks, for every sort, filter and paging. The
-- programs call it for q only: without q, the list runs one fixed
-- statement per sort, filter and paging (src/db/columns.h
-- COLUMNS_TASK_SORTED: the same rows, the same mark), prepared once per
-- connection with its plan kept, because this text is planned on every
-- call: PostgreSQL's time for a page of 20 was about 3.5 times the fixed
-- statement's (about 870 us against 250 us).
-- tests/integration/list_statements.c holds the two to the same answers.
-- The parameters:
--   p_sort     created_at, -created_at, updated_at, -updated_at, title,
--              -title (ties by id in the same direction);
--   p_completed, p_q  the filters, NULL for none (p_q as the client sent
--              it: %, _ and \ are literal);
--   p_limit, p_offset  the page; it reads p_limit + 1 rows, so the caller
--              knows whether more follow;
--   p_max_bytes  LIST_MAX_BYTES, the same cut as 003's list statements:
--              only rows whose stored text before them is under it;
--   p_after_key, p_after_id  a cursor's last row (its sort value as text,
--              and id), or NULL: the page starts right after it.
-- Rows: the task's columns (db/columns.h COLUMNS_TASK formats them), then
-- on every row
-- the count of matches (X-Total-Count), the user's change mark, and how
-- many rows the page read before the byte cut.
--
-- The mark changes whenever any task of the user changes (created, edited,
-- toggled, deleted), even when transactions commit out of the order of
-- their ids. It is made of the line the changes feed reads up to (the
-- snapshot's xmin: every transaction below it has ended): the newest
-- change_xid of the user's tasks and tombstones below the line, then the
-- (id, version) of the tasks and the ids of the tombstones at or above
-- it, which are few (the changes of the last moments). A change that this
-- snapshot cannot see yet commits later with an id at or above this line:
-- seen then below the next line, it raises the newest change_xid past the
-- one seen now; seen at or above it, it adds a version or a tombstone the
-- lists did not hold. So the mark (and with it the list's ETag) cannot
-- stay the same across a change.
-- A page with no task is one row whose task columns are NULL, so the
-- count and the mark always arrive. It is one statement, so the page, the
-- count and the mark come from one snapshot. Its text is built from fixed
-- pieces only; every value is a parameter.
--
-- SECURITY DEFINER, because row-level security would keep the search off
-- its index: PostgreSQL evaluates a condition that is not leakproof (LIKE,
-- lower()) only after the policy's, so under the policy q read every task
-- of the user (1.6 s for 1,000,000 tasks) instead of the index (0.3 ms).
-- It binds itself instead, to exactly what the policy allows: it refuses a
-- p_subject other than the subject its transaction entered (the policy's
-- own expression), and every table it reads is filtered by that subject.
CREATE FUNCTION task_page(p_subject text, p_completed boolean, p_q text,
    p_sort text, p_limit bigint, p_offset bigint, p_max_bytes bigint,
    p_after_key text, p_after_id uuid)
RETURNS TABLE (id uuid, user_id text, title text, description text,
    is_completed boolean, created_at timestamptz, updated_at timestamptz,
    version bigint, total bigint, mark text, rows_read bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    desc_ boolean := left(p_sort, 1) = '-';
    field text := ltrim(p_sort, '-');
    key text;
    arg text;
    dir text := CASE WHEN left(p_sort, 1) = '-' THEN 'DESC' ELSE 'ASC' END;
    pattern text;
    filter text := 't.user_id = $1';
    sql text;
BEGIN
    IF p_subject IS DISTINCT FROM
            NULLIF(current_setting('taskapi.subject', true), '') THEN
        RAISE EXCEPTION 'task_page: not the subject of this transaction';
    END IF;
    IF field IN ('created_at', 'updated_at') THEN
        key := 't.' || field;
        arg := '$8::timestamptz';
    ELSIF field = 'title' THEN
        key := 't.title COLLATE "C"';
        arg := '$8::text COLLATE "C"';
    ELSE
        RAISE EXCEPTION 'task_page: unknown sort %', p_sort;
    END IF;
    IF p_completed IS NOT NULL THEN
        filter := filter || ' AND t.is_completed = $2';
    END IF;
    IF p_q IS NOT NULL THEN
        -- LIKE's escape is \: the client's %, _ and \ match themselves.
        pattern := '%' || replace(replace(replace(
            lower(p_q COLLATE "und-x-icu"), '\', '\\'), '%', '\%'), '_', '\_')
            || '%';
        filter := filter || ' AND (lower(t.title COLLATE "und-x-icu") LIKE $3'
            || ' OR lower(t.description COLLATE "und-x-icu") LIKE $3)';
    END IF;
    sql := 'WITH w AS (SELECT t.* FROM tasks t WHERE ' || filter;
    IF p_after_id IS NOT NULL THEN
        sql := sql || format(' AND (%s, t.id) %s (%s, $9)', key,
            CASE WHEN desc_ THEN '<' ELSE '>' END, arg);
    END IF;
    sql := sql || format(' ORDER BY %1$s %2$s, t.id %2$s LIMIT $5 + 1 OFFSET $6),'
        || ' p AS (SELECT w.*, count(*) OVER () AS rows_read,'
        || ' COALESCE(sum(octet_length(w.title) + COALESCE(octet_length('
        || 'w.description), 0)) OVER (ORDER BY %3$s %2$s, w.id %2$s'
        || ' ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS bytes_before'
        || ' FROM w),', key, dir, replace(key, 't.', 'w.'));
    sql := sql || ' k AS (SELECT '
        || CASE WHEN p_q IS NULL THEN
            '(SELECT COALESCE(sum(CASE WHEN $2 IS NULL THEN c.total'
            || ' WHEN $2 THEN c.done ELSE c.total - c.done END), 0)::bigint'
            || ' FROM task_counts c WHERE c.user_id = $1)'
           ELSE '(SELECT count(*) FROM tasks t WHERE ' || filter || ')' END
        || ' AS total, concat_ws('':'', greatest('
        || '(SELECT t.change_xid FROM tasks t WHERE t.user_id = $1'
        || ' AND t.change_xid < x.line ORDER BY t.change_xid DESC LIMIT 1),'
        || ' (SELECT d.change_xid FROM task_tombstones d WHERE d.user_id = $1'
        || ' AND d.change_xid < x.line ORDER BY d.change_xid DESC LIMIT 1)),'
        || ' (SELECT md5(string_agg(t.id::text || ''.'' || t.version, '','''
        || ' ORDER BY t.id)) FROM tasks t WHERE t.user_id = $1'
        || ' AND t.change_xid >= x.line),'
        || ' (SELECT md5(string_agg(d.id::text, '','' ORDER BY d.id))'
        || ' FROM task_tombstones d WHERE d.user_id = $1'
        || ' AND d.change_xid >= x.line)) AS mark'
        || ' FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS line) x)'
        || format(' SELECT p.id, p.user_id, p.title, p.description,'
        || ' p.is_completed, p.created_at, p.updated_at, p.version,'
        || ' k.total, k.mark, COALESCE(p.rows_read, 0)'
        || ' FROM k LEFT JOIN p ON p.bytes_before < $7'
        || ' ORDER BY %1$s %2$s, p.id %2$s', replace(key, 't.', 'p.'), dir);
    RETURN QUERY EXECUTE sql USING p_subject, p_completed, pattern, p_sort,
        p_limit, p_offset, p_max_bytes, p_after_key, p_after_id;
END
$$;
