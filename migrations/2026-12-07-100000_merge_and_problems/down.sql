DROP INDEX ticket_links_one_problem_idx;
DELETE FROM ticket_links WHERE kind = 'incident';
ALTER TABLE ticket_links DROP CONSTRAINT ticket_links_kind_known;
ALTER TABLE ticket_links ADD CONSTRAINT ticket_links_kind_known
    CHECK (kind IN ('follow_up', 'duplicate'));
DROP INDEX tickets_merged_into_id_idx;
ALTER TABLE tickets DROP CONSTRAINT tickets_merged_into_not_self;
ALTER TABLE tickets DROP CONSTRAINT tickets_merged_into_id_fkey;
ALTER TABLE tickets DROP COLUMN merged_into_id;
