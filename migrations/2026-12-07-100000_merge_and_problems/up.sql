-- Merging duplicates and linking incidents to their problem (issue 15, item 7).
--
-- `tickets.merged_into_id`: the ticket a duplicate was merged into. A merged ticket is closed,
-- keeps its comments and requester, and is excluded from every metric aggregate as a duplicate
-- (docs/METRICS.md, "Merged tickets"). Set once, never cleared.
ALTER TABLE tickets ADD COLUMN merged_into_id BIGINT;
ALTER TABLE tickets ADD CONSTRAINT tickets_merged_into_id_fkey
    FOREIGN KEY (merged_into_id) REFERENCES tickets (id);
ALTER TABLE tickets ADD CONSTRAINT tickets_merged_into_not_self CHECK (merged_into_id <> id);
CREATE INDEX tickets_merged_into_id_idx ON tickets (merged_into_id) WHERE merged_into_id IS NOT NULL;

-- `ticket_links` kind `incident`: `ticket_id` is an incident of the problem `linked_ticket_id`.
-- (`duplicate`: `ticket_id` was merged into `linked_ticket_id`.) An incident has one problem.
ALTER TABLE ticket_links DROP CONSTRAINT ticket_links_kind_known;
ALTER TABLE ticket_links ADD CONSTRAINT ticket_links_kind_known
    CHECK (kind IN ('follow_up', 'duplicate', 'incident'));
CREATE UNIQUE INDEX ticket_links_one_problem_idx ON ticket_links (ticket_id) WHERE kind = 'incident';
