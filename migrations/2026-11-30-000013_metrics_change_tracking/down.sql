DROP TRIGGER ticket_sla_clocks_stamp_changed_xid ON ticket_sla_clocks;
DROP TRIGGER ticket_metrics_stamp_changed_xid ON ticket_metrics;
DROP TRIGGER tickets_stamp_changed_xid ON tickets;
ALTER TABLE ticket_sla_clocks DROP COLUMN changed_xid;
ALTER TABLE ticket_metrics DROP COLUMN changed_xid;
ALTER TABLE tickets DROP COLUMN changed_xid;
DROP FUNCTION frontline_stamp_changed_xid();
