//! Integration tests: one binary, a real PostgreSQL, a fresh database per test (cloned from the
//! template that `make test` migrates), a real server on a free port.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test loudly by panicking"
)]
mod agent_day;
mod assets;
mod attachments;
mod attachments_s3;
mod attribution;
mod auth;
mod bake_off;
mod bake_off_store;
mod browser;
mod bulk;
mod calendars;
mod categories;
mod cli;
mod csat_metrics;
mod custom_fields;
mod dashboard;
mod email;
mod evidence_attribution;
mod field_metrics;
mod hardening;
mod health;
mod helpers;
mod import;
mod inbound;
mod macros;
mod macros_sharing;
mod merge;
mod metrics;
mod metrics_store;
mod migrations;
mod monitoring;
mod organizations;
mod paging;
mod queues;
mod redaction;
mod reply_and_status;
mod report_store;
mod reports;
mod roles;
mod seed;
mod sla;
mod sla_attribution;
mod sla_policy_concurrency;
mod sources;
mod supervisors;
mod surveys;
mod ticket_lifecycle;
mod ticket_numbers;
mod ticket_views;
mod tickets;
mod training;
mod webhooks;
mod work_orders;
mod workers;
mod write_path;
