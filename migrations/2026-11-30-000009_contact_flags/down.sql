DROP INDEX tickets_requester_category_created_idx;
ALTER TABLE ticket_metrics
    DROP COLUMN requester_comments,
    DROP COLUMN one_touch,
    DROP COLUMN one_touch_strict,
    DROP COLUMN fcr_candidate;
