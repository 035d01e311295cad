DROP INDEX tickets_custom_fields_idx;
ALTER TABLE tickets DROP COLUMN custom_fields;
DROP TABLE ticket_fields;
DROP TABLE ticket_category_events;
DROP TABLE ticket_categories;
