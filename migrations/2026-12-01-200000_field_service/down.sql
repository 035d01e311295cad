DROP TABLE work_order_metrics;
DROP TABLE time_off;
DROP TABLE work_orders;
ALTER TABLE users DROP COLUMN skills;
ALTER TABLE tickets DROP COLUMN asset_id;
DROP TABLE assets;
ALTER TABLE sites DROP CONSTRAINT sites_id_organization_id_key;
DROP EXTENSION IF EXISTS btree_gist;
