//! Application wiring: the listener, the middleware and the shared [`AppState`] (built here,
//! defined in [`crate::state`]).

use crate::auth::access::AccessCache;
use crate::auth::jwt::JwtKeys;
use crate::auth::rate_limit::LoginLimiter;
use crate::configuration::Settings;
use crate::db::{self, PgPool};
use crate::error::REQUEST_ID;
use crate::routes;
use crate::state::AppState;
use crate::telemetry::RedactedRootSpan;
use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{App, HttpMessage, HttpServer, web};
use std::net::TcpListener;
use tracing_actix_web::{RequestId, TracingLogger};

/// A bound, not yet running HTTP server.
pub struct Application {
    port: u16,
    server: Server,
    metrics_store: std::sync::Arc<crate::metrics::store::MetricsStore>,
    access: std::sync::Arc<AccessCache>,
}

impl Application {
    /// Binds `application.host:application.port` (port 0 picks a free one) with a pool on the
    /// configured database.
    ///
    /// # Errors
    /// The address cannot be bound.
    pub fn build(settings: Settings) -> anyhow::Result<Application> {
        let pool = db::pool(&settings.database);
        Application::build_with_pool(settings, pool)
    }

    /// Like [`Application::build`] with an existing pool (tests use a per-test database).
    ///
    /// # Errors
    /// The address cannot be bound, the JWT keys fail their self-test, or the access cache's
    /// listener thread cannot be started.
    pub fn build_with_pool(settings: Settings, pool: PgPool) -> anyhow::Result<Application> {
        let address = format!(
            "{}:{}",
            settings.application.host, settings.application.port
        );
        let listener = TcpListener::bind(&address)
            .map_err(|e| anyhow::anyhow!("cannot bind {address}: {e}"))?;
        let port = listener.local_addr()?.port();
        let shutdown = settings.application.shutdown_timeout_seconds;
        let header_timeout =
            std::time::Duration::from_secs(settings.application.header_read_timeout_seconds);
        let workers = settings.application.workers;
        let jwt = JwtKeys::new(
            &settings.auth.jwt_secret,
            &settings.auth.issuer,
            &settings.auth.audience,
            settings.auth.access_token_ttl_seconds,
        )?;
        let api_limiter = crate::auth::rate_limit::ApiLimiter::new(
            settings.auth.api_requests_per_user_per_minute,
        );
        let login_limiter = LoginLimiter::new(
            settings.auth.login_attempts_per_email_per_minute,
            settings.auth.login_attempts_per_address_per_minute,
        );
        // The Prometheus recorder, installed before anything records (once per process).
        crate::monitoring::handle();
        let metrics_store = std::sync::Arc::new(crate::metrics::store::MetricsStore::new());
        let access = std::sync::Arc::new(AccessCache::new());
        access.start_listener(settings.database.url_with(
            &settings.database.database_name,
            &[("application_name", "frontline_access_listener")],
        ))?;
        let rules = crate::tickets::RulesCache::with_notices(
            crate::tickets::notify::NoticeSettings::from_settings(&settings.email),
        );
        let links = crate::notify::links::LinkSigner::new(
            &settings.auth.jwt_secret,
            &settings.auth.issuer,
        )?;
        let attachments = crate::attachments::storage::from_settings(&settings.attachments)?;
        let state = web::Data::new(AppState {
            attachments,
            pool,
            settings,
            jwt,
            login_limiter,
            api_limiter,
            rules,
            metrics_store: metrics_store.clone(),
            access: access.clone(),
            links,
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap_fn(|req, srv| {
                    let request_id = req
                        .extensions()
                        .get::<RequestId>()
                        .map(|id| id.to_string())
                        .unwrap_or_default();
                    let fut = REQUEST_ID.scope(request_id.clone(), srv.call(req));
                    async move {
                        let mut res = fut.await?;
                        if let Ok(value) = HeaderValue::from_str(&request_id) {
                            res.headers_mut()
                                .insert(HeaderName::from_static("x-request-id"), value);
                        }
                        Ok(res)
                    }
                })
                .wrap(TracingLogger::<RedactedRootSpan>::new())
                // Outermost: every request's route, status and duration for /metrics.
                .wrap_fn(|req, srv| {
                    let started = std::time::Instant::now();
                    let fut = srv.call(req);
                    async move {
                        let res = fut.await?;
                        crate::monitoring::record_request(&res, started);
                        Ok(res)
                    }
                })
                .configure(routes::configure)
        })
        // SIGTERM/SIGINT stop accepting, then let in-flight requests finish for this long.
        .shutdown_timeout(shutdown)
        // A client that does not send its headers in time is answered 408 and cut off.
        .client_request_timeout(header_timeout);
        let server = if workers > 0 {
            server.workers(workers)
        } else {
            server
        };
        let server = server.listen(listener)?.run();
        Ok(Application {
            port,
            server,
            metrics_store,
            access,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics store the server reads (to load it before the first request).
    pub fn metrics_store(&self) -> std::sync::Arc<crate::metrics::store::MetricsStore> {
        self.metrics_store.clone()
    }

    /// The cache of staff roles that requests read (tests wait on it for a notification).
    pub fn access_cache(&self) -> std::sync::Arc<AccessCache> {
        self.access.clone()
    }

    /// Serves until SIGTERM/SIGINT (graceful) or a fatal error.
    ///
    /// # Errors
    /// An I/O error of the server.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
