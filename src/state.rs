//! [`AppState`]: what every handler shares, built once by [`crate::startup::Application`].

use crate::auth::access::AccessCache;
use crate::auth::jwt::JwtKeys;
use crate::auth::rate_limit::LoginLimiter;
use crate::configuration::Settings;
use crate::db::PgPool;
use crate::metrics::store::MetricsStore;
use std::sync::Arc;

/// State shared by every handler (in `web::Data`).
#[derive(Clone)]
pub struct AppState {
    /// Database pool.
    pub pool: PgPool,
    /// Settings, validated at start-up.
    pub settings: Settings,
    /// Access-token keys.
    pub jwt: JwtKeys,
    /// Log-in attempt limits.
    pub login_limiter: LoginLimiter,
    /// Per-user API request limit.
    pub api_limiter: crate::auth::rate_limit::ApiLimiter,
    /// The SLA policies and calendars ticket writes apply, cached ([`crate::tickets::rules`]).
    pub rules: crate::tickets::RulesCache,
    /// The metric projection in memory, read by the metrics endpoints.
    pub metrics_store: Arc<MetricsStore>,
    /// Each staff member's role and active flag, read by the `AuthUser` extractor.
    pub access: Arc<AccessCache>,
    /// Signs and checks customers' survey and unsubscribe links.
    pub links: crate::notify::links::LinkSigner,
    /// The attachment store (`[attachments]` settings: a local folder or an S3 bucket).
    pub attachments: Arc<dyn crate::attachments::storage::Storage>,
}
