-- 017: a new task's id is time-ordered (UUID version 7), not random
-- (version 4).
--
-- Why: every index whose key ends in the id put a random id on a random
-- leaf page. With fsync and full_page_writes on (make run's cluster, and
-- any durable server), the first change to a page after each checkpoint
-- writes the whole 8 KiB page to the WAL, and every create pays that WAL's
-- flush before its 201. Measured right after a checkpoint, on a table of
-- 1.1 million tasks (README "Benchmarks", where a create's time goes):
-- 89% of the WAL was such page images, 6.6 KiB a create, almost all of
-- them pages of tasks_pkey and tasks_user_title_idx; with time-ordered ids
-- a create writes 1.2 KiB, and new ids land on the last leaf page.
--
-- The id stays what docs/API.md "Task object" promises: a UUID,
-- lower-case, made by the server. Its first 48 bits are the time of its
-- making in milliseconds since 1970 (RFC 9562), which created_at already
-- tells; the other 74 bits are random as before (gen_random_uuid's), so an
-- id is no easier to guess within its millisecond than before. Tasks made
-- before this migration keep their ids.
--
-- A SQL function (no SET, no SECURITY DEFINER), so the planner inlines it
-- into the INSERT; clock_timestamp(), not now(), so ids keep their order
-- across a long transaction's creates too.
CREATE FUNCTION uuid_v7() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT encode(
        set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                    PLACING substring(int8send(
                        floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                    FROM 1 FOR 6),
            52, 1), 53, 1),
        'hex')::uuid
$$;

ALTER TABLE tasks ALTER COLUMN id SET DEFAULT uuid_v7();
