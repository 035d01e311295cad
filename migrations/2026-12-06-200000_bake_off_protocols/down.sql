DELETE FROM reports WHERE kind = 'bake_off';
ALTER TABLE reports DROP CONSTRAINT reports_kind_known,
    ADD CONSTRAINT reports_kind_known CHECK (kind IN ('evidence'));
DROP TABLE bake_off_protocols;
DROP FUNCTION bake_off_protocols_refuse_change();
