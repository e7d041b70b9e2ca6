-- The catalogue's read models. Every fact carries the log position that
-- recorded it, so "as recorded at position P" is a comparison on an indexed
-- column, never a replay; particulars carry their validity by effective
-- date, so "in force on date D" is a range test. A position that recorded
-- nothing yet is NULL (a mark not set), and a NULL date bound is open.
-- Positions are bigint: a log position above 2^63-1 is refused by Apply.
-- Codes are COLLATE "C": lists are ordered by byte, as Go compares strings
-- (projections.Cursor), whatever the database's default collation.

-- The projector's checkpoint, written in the transaction of its batch, with
-- the latest recorded time of the log so far (PositionAt's high water).
CREATE TABLE checkpoint (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    position   bigint NOT NULL,
    high_water bigint NOT NULL -- unix nanoseconds
);
INSERT INTO checkpoint (position, high_water) VALUES (0, -9223372036854775808);

-- Every event of our streams (item history Q4, audit log Q5). Times are
-- unix nanoseconds: timestamptz keeps microseconds only, and an answer must
-- give back the recorded time exactly. high_water is the latest recorded
-- time up to the row, non-decreasing in position even if a clock stepped
-- back, so PositionAt is an index search.
CREATE TABLE log (
    position       bigint PRIMARY KEY,
    event_id       uuid   NOT NULL,
    stream         text   NOT NULL,
    revision       bigint NOT NULL,
    type           text   NOT NULL,
    data           bytea  NOT NULL, -- the event's JSON byte for byte
    item_id        text   NOT NULL, -- '' when none
    bodies         text[] NOT NULL,
    basis          text   NOT NULL,
    reason         text   NOT NULL,
    effective_from date,
    actor          text   NOT NULL,
    command_id     text   NOT NULL,
    correlation_id text   NOT NULL,
    causation_id   text   NOT NULL,
    recorded_at    bigint NOT NULL,
    high_water     bigint NOT NULL,
    facts_change   boolean NOT NULL -- an item's listing or amendment
);
CREATE INDEX log_stream ON log (stream, position);
CREATE INDEX log_item ON log (item_id, position) WHERE item_id <> '';
CREATE INDEX log_facts ON log (item_id, position) WHERE facts_change;
CREATE INDEX log_bodies ON log USING gin (bodies);
CREATE INDEX log_actor ON log (actor, position);
CREATE INDEX log_type ON log (type, position);
CREATE INDEX log_basis ON log (basis, position);
CREATE INDEX log_high_water ON log (high_water, position);

-- One row per listed item: its listing and, once recorded, its revocation.
CREATE TABLE items (
    id           text PRIMARY KEY,
    code         text   COLLATE "C" NOT NULL,
    listed_pos   bigint NOT NULL,
    listed_from  date,
    revoked_pos  bigint,
    revoked_from date
);
CREATE UNIQUE INDEX items_order ON items (code, listed_pos);

-- An item's particulars, bitemporally: a row holds for effective dates
-- [valid_from, valid_to) (NULL = unbounded) and for log positions
-- [recorded_pos, superseded_pos). An amendment recorded at P supersedes,
-- at P, the rows its timeline changes and records the new ones at P; rows
-- are never deleted, so a reader at any position finds exactly one row per
-- item and date. search holds the code and name of the item and of its
-- sub-items, each also lower-cased, for the text filter.
CREATE TABLE item_versions (
    item_id        text   NOT NULL,
    recorded_pos   bigint NOT NULL,
    valid_from     date,
    valid_to       date,
    superseded_pos bigint,
    code           text   COLLATE "C" NOT NULL,
    name           text   NOT NULL,
    department     text   NOT NULL,
    authority      text   NOT NULL,
    legal_basis    text   NOT NULL,
    level          text   NOT NULL,
    sub_items      jsonb  NOT NULL,
    search         text[] NOT NULL,
    seq            int    NOT NULL, -- the row's place in the timeline recorded at recorded_pos
    PRIMARY KEY (item_id, recorded_pos, seq)
);
CREATE INDEX item_versions_current ON item_versions (item_id) WHERE superseded_pos IS NULL;
CREATE INDEX item_versions_department ON item_versions (department, item_id);

-- One row per delegation with its marks: each fact (acceptance,
-- withdrawal, end by revocation) with the position that first recorded it
-- and its effective date. item_code is the order of every delegation list.
CREATE TABLE delegations (
    id              text PRIMARY KEY,
    item_id         text   NOT NULL,
    item_code       text   COLLATE "C" NOT NULL,
    from_body       text   NOT NULL,
    parent_id       text   NOT NULL,
    to_body         text   NOT NULL,
    mode            text   NOT NULL,
    scope           text[] NOT NULL,
    effective_from  date,
    effective_until date,
    basis           text   NOT NULL,
    reason          text   NOT NULL,
    position        bigint NOT NULL,
    accepted_pos    bigint,
    accepted_from   date,
    withdrawn_pos   bigint,
    withdrawn_from  date,
    revoked_pos     bigint,
    revoked_from    date
);
CREATE INDEX delegations_order ON delegations (item_code, position);
CREATE INDEX delegations_to ON delegations (to_body, item_code, position);
CREATE INDEX delegations_from ON delegations (from_body, item_code, position) WHERE from_body <> '';
CREATE INDEX delegations_item ON delegations (item_id, position);

CREATE TABLE bodies (
    code            text COLLATE "C" PRIMARY KEY,
    name            text   NOT NULL,
    kind            text   NOT NULL,
    parent          text   NOT NULL,
    registered_from date,
    basis           text   NOT NULL,
    position        bigint NOT NULL
);
CREATE INDEX bodies_parent ON bodies (parent, code);

CREATE TABLE editions (
    name           text PRIMARY KEY,
    basis          text   NOT NULL,
    reason         text   NOT NULL,
    effective_from date,
    actor          text   NOT NULL,
    recorded_at    bigint NOT NULL,
    position       bigint NOT NULL UNIQUE
);

-- The status rules of projections/rules.go, for filters that must run in
-- the database (paging and totals). They mirror projections.ItemStatusOn
-- and projections.DelegationFacts.StatusOn exactly — a NULL date is the
-- zero domain.Date, earlier than every day — and TestStatusFunctionsAgree
-- checks them against the Go rules on every combination of dates.
CREATE FUNCTION item_status(listed_from date, revoked boolean, revoked_from date, d date)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN revoked AND d >= COALESCE(revoked_from, '-infinity') THEN 'REVOKED'
        WHEN d < COALESCE(listed_from, '-infinity') THEN 'NOT_YET_IN_FORCE'
        ELSE 'IN_FORCE'
    END
$$;

CREATE FUNCTION delegation_status(d date, effective_from date, effective_until date,
    accepted boolean, accepted_from date, withdrawn boolean, withdrawn_from date,
    revoked boolean, revoked_from date)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- The earliest end that has happened by d wins; on equal dates
    -- withdrawal, then revocation, then expiry (the day after
    -- effective_until). A single expression without FROM, so the planner
    -- inlines it into the queries that filter on it.
    SELECT CASE
        WHEN d < COALESCE(effective_from, '-infinity') THEN 'NOT_YET_EFFECTIVE'
        WHEN withdrawn AND d >= COALESCE(withdrawn_from, '-infinity')
             AND NOT (revoked AND d >= COALESCE(revoked_from, '-infinity')
                      AND COALESCE(revoked_from, '-infinity') < COALESCE(withdrawn_from, '-infinity'))
             AND NOT (effective_until IS NOT NULL AND d > effective_until
                      AND effective_until + 1 < COALESCE(withdrawn_from, '-infinity'))
            THEN 'WITHDRAWN'
        WHEN revoked AND d >= COALESCE(revoked_from, '-infinity')
             AND NOT (effective_until IS NOT NULL AND d > effective_until
                      AND effective_until + 1 < COALESCE(revoked_from, '-infinity'))
            THEN 'REVOKED'
        WHEN effective_until IS NOT NULL AND d > effective_until THEN 'EXPIRED'
        WHEN accepted AND d >= COALESCE(accepted_from, '-infinity') THEN 'ACTIVE'
        ELSE 'PENDING_ACCEPTANCE'
    END
$$;
