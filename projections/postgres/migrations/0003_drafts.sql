-- Drafts (草案) of the catalogue's next version, in the editions view.
-- A row holds a draft's whole life, bitemporal like the other tables: it
-- is known from opened_pos, and discarded from discarded_pos (NULL while
-- open), so a read as of any position tells what was known then. The
-- discard columns are all NULL or all set.
CREATE TABLE drafts (
    name           text PRIMARY KEY,
    reason         text   NOT NULL,
    opened_by      text   NOT NULL,
    opened_at      bigint NOT NULL,
    opened_pos     bigint NOT NULL UNIQUE,
    discarded_by   text,
    discarded_at   bigint,
    discard_reason text,
    discarded_pos  bigint UNIQUE,
    CHECK ((discarded_pos IS NULL) = (discarded_at IS NULL)),
    CHECK (discarded_pos IS NULL OR discarded_pos > opened_pos)
);
