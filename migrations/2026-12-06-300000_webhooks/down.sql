DROP TRIGGER webhook_endpoints_bump_webhooks_version ON webhook_endpoints;
DROP FUNCTION bump_webhooks_version();
ALTER TABLE rules_version DROP COLUMN webhooks_version;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
