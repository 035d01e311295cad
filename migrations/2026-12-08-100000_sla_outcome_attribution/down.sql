ALTER TABLE ticket_sla_clocks
    DROP COLUMN outcome_team_id,
    DROP COLUMN outcome_assignee_id;
