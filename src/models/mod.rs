//! Diesel rows and sync query functions, one file per aggregate. Every function takes
//! `&mut PgConnection` so that callers compose them inside one transaction.

pub mod asset;
pub mod attachment;
pub mod calendar;
pub mod category;
pub mod custom_field;
pub mod enums;
pub mod fixed_sql;
pub mod idempotency;
pub mod inbound;
pub mod macros;
pub mod organization;
pub mod outbox;
pub mod sla;
pub mod staff;
pub mod survey;
pub mod survey_bulk;
pub mod ticket;
pub mod ticket_view;
pub mod training;
pub mod webhook;
pub mod work_order;
pub mod work_order_bulk;
pub mod work_order_metrics;
