DROP INDEX surveys_sent;
DROP TRIGGER surveys_stamp_changed_xid ON surveys;
DROP INDEX surveys_changed_xid_idx;
ALTER TABLE surveys DROP COLUMN changed_xid;
