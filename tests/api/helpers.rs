//! `spawn_app()`, `TestDb` and small typed helpers shared by the tests.

use diesel::prelude::*;
use frontline::auth::access::AccessCache;
use frontline::auth::jwt::JwtKeys;
use frontline::configuration::{Environment, Settings, config_dir};
use frontline::db::{self, PgPool};
use frontline::import::event_log::{ImportOptions, ImportSummary, Mapping, import_reader};
use frontline::models::enums::{EmploymentType, UserRole};
use frontline::models::staff;
use frontline::startup::Application;
use secrecy::ExposeSecret;
use std::sync::atomic::{AtomicU32, Ordering};

/// Settings of the `test` environment (`FRONTLINE__…` variables still apply).
pub fn test_settings() -> Settings {
    // reqwest (the tests' client and the webhook worker's: one build) needs a rustls provider.
    frontline::workers::webhooks::install_crypto_provider();
    if std::env::var("TEST_LOG").is_ok() {
        frontline::telemetry::init(frontline::configuration::LogFormat::Pretty, "info");
    }
    Settings::load_for(&config_dir(), Environment::Test).expect("test settings")
}

/// Name of the migrated template database prepared by `scripts/test-db.sh`.
pub fn template_name() -> String {
    std::env::var("FRONTLINE_TEST_TEMPLATE").unwrap_or_else(|_| "frontline_template".into())
}

fn maintenance(settings: &Settings) -> PgConnection {
    PgConnection::establish(settings.database.url_for("postgres").expose_secret()).expect(
        "cannot reach PostgreSQL: run `make test` (it installs, starts and prepares the database)",
    )
}

/// A database of its own for one test, dropped (with its connections) at the end.
pub struct TestDb {
    /// Database name.
    pub name: String,
    /// Settings pointing at it.
    pub settings: Settings,
    /// A pool on it.
    pub pool: PgPool,
    /// What [`TestDb::pool`] has sent (statements per request: the count after minus before).
    pub stats: db::PoolStats,
}

impl TestDb {
    /// Clones the migrated template into a new database.
    pub fn new() -> TestDb {
        TestDb::create(Some(&template_name()))
    }

    /// A new, empty database (no migrations), for migration tests.
    pub fn empty() -> TestDb {
        TestDb::create(None)
    }

    fn create(template: Option<&str>) -> TestDb {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let mut settings = test_settings();
        let name = format!(
            "frontline_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            uuid::Uuid::new_v4().simple()
        );
        let template = template.unwrap_or("template0");
        diesel::sql_query(format!(r#"CREATE DATABASE "{name}" TEMPLATE "{template}""#))
            .execute(&mut maintenance(&settings))
            .unwrap_or_else(|e| {
                panic!("cannot clone {template} (run `make test`, which prepares it): {e}")
            });
        settings.database.database_name = name.clone();
        let (pool, stats) = db::pool_with_stats(&settings.database);
        TestDb {
            name,
            settings,
            pool,
            stats,
        }
    }

    /// A direct connection to this database.
    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(self.settings.database.url().expose_secret()).expect("connect")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = diesel::sql_query(format!(
            r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#,
            self.name
        ))
        .execute(&mut maintenance(&self.settings));
    }
}

/// A running server on its own database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// Its database.
    pub db: TestDb,
    /// An HTTP client.
    pub client: reqwest::Client,
    /// An admin's access token, used by [`TestApp::get`].
    pub admin_token: String,
    /// The server's cache of staff roles.
    pub access: std::sync::Arc<AccessCache>,
}

/// The password of every account made by [`TestApp::create_staff`].
pub const PASSWORD: &str = "correct horse battery staple";

/// Starts the application on a free port over a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(TestDb::new()).await
}

/// Starts the application over `db`.
pub async fn spawn_app_on(db: TestDb) -> TestApp {
    let app = Application::build_with_pool(db.settings.clone(), db.pool.clone()).expect("build");
    let address = format!("http://127.0.0.1:{}", app.port());
    let access = app.access_cache();
    tokio::spawn(app.run_until_stopped());
    let mut app = TestApp {
        address,
        db,
        client: reqwest::Client::new(),
        admin_token: String::new(),
        access,
    };
    app.admin_token = app.token_for(UserRole::Admin);
    app
}

impl TestApp {
    /// Waits until the server's role cache has dropped user `id` (the notification of a change
    /// to their role or active flag has arrived), at most 10 s.
    pub async fn await_access_change(&self, id: i64) {
        await_until(&format!("the notification of user {id}'s change"), || {
            self.access.get(id).is_none()
        })
        .await;
    }

    /// Waits until the server's role cache is trusted (its listener is connected), at most 10 s.
    pub async fn await_access_listener(&self) {
        await_until("the access listener", || self.access.is_trusted()).await;
    }

    /// GET `path` (relative to the server root) as an admin.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.get_as(Some(&self.admin_token), path).await
    }

    /// GET `path` with `token` as bearer (none: anonymous).
    pub async fn get_as(&self, token: Option<&str>, path: &str) -> reqwest::Response {
        let mut request = self.client.get(format!("{}{}", self.address, path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    /// POST `body` as JSON to `path`, anonymously.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(format!("{}{}", self.address, path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// `method` `path` as the admin, with `body` as JSON when given.
    pub async fn send_admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, format!("{}{}", self.address, path))
            .bearer_auth(&self.admin_token);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request")
    }

    /// Creates an active staff member with `role`, a unique email and the password [`PASSWORD`];
    /// returns `(id, email)`.
    pub fn create_staff(&self, role: UserRole) -> (i64, String) {
        static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let hash = HASH.get_or_init(|| frontline::auth::password::hash(PASSWORD).unwrap());
        let email = format!("{}@staff.test", uuid::Uuid::new_v4().simple());
        let staff = staff::create_staff_tx(
            &mut self.db.conn(),
            &staff::NewStaff {
                name: "Test Staff",
                email: Some(&email),
                role,
                employment_type: EmploymentType::Employee,
                team_id: None,
                password_hash: Some(hash),
                skills: None,
                also_agent: None,
            },
        )
        .unwrap();
        (staff.id, email)
    }

    /// Creates a staff member with `role` and returns an access token for them.
    pub fn token_for(&self, role: UserRole) -> String {
        let (id, _) = self.create_staff(role);
        jwt_keys(&self.db.settings)
            .issue(id, role, chrono::Utc::now())
            .unwrap()
    }

    /// Applies the latest rules change to every stored projection, as the re-projection worker
    /// of `serve` does in the background (the tests run no worker): passes of the worker's use
    /// case until no ticket is pending. Returns how many tickets were re-projected.
    pub fn reproject(&self) -> usize {
        use frontline::tickets::reproject;
        let mut conn = self.db.conn();
        let rules = frontline::tickets::RulesCache::new();
        let mut total = 0;
        for _ in 0..100 {
            let done =
                reproject::run(&mut conn, &rules, 20, std::time::Duration::from_secs(10)).unwrap();
            total += done;
            if reproject::progress(&mut conn).unwrap().pending_tickets == 0 {
                return total;
            }
        }
        panic!("tickets still pending after 100 re-projection passes");
    }

    /// Adds categories (by key, named by their key) to the catalogue, as an import does: the
    /// API accepts only catalogue categories.
    pub fn add_categories(&self, keys: &[&str]) {
        frontline::models::category::ensure_tx(&mut self.db.conn(), keys.iter().copied()).unwrap();
    }

    /// GET `path` and parse the JSON body, asserting the status.
    pub async fn get_json(&self, path: &str, status: u16) -> serde_json::Value {
        let response = self.get(path).await;
        let actual = response.status().as_u16();
        let body = response.text().await.expect("body");
        assert_eq!(actual, status, "GET {path}: {body}");
        serde_json::from_str(&body).expect("json body")
    }

    /// Imports `csv` with `mapping` into this app's database.
    pub fn import(&self, csv: &str, mapping: &Mapping) -> ImportSummary {
        import_reader(
            &mut self.db.conn(),
            csv.as_bytes(),
            mapping,
            ImportOptions::default(),
        )
        .expect("import")
    }
}

/// The mapping used by the hand-written logs: `case,activity,time,who`; unknown activities are
/// rejected.
pub fn small_mapping() -> Mapping {
    Mapping::parse(
        r#"
        [columns]
        ticket_id = "case"
        activity = "activity"
        timestamp = "time"
        staff = "who"

        [ticket]
        subject = "Case {ticket_id}"
        team = "Help desk"

        [activities]
        "Insert" = ["create"]
        "Take" = ["assign", "agent_reply", "open"]
        "Wait" = ["pending"]
        "Hold" = ["on_hold"]
        "Resolve" = ["solve"]
        "Closed" = ["close"]
        "Seriousness" = ["priority"]
        "Verified" = ["note"]
        "#,
    )
    .expect("mapping")
}

/// The bundled mapping of the real help-desk log.
pub fn helpdesk_mapping() -> Mapping {
    Mapping::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/helpdesk/mapping.toml"),
    )
    .expect("bundled mapping")
}

/// Path of the real help-desk log.
pub fn helpdesk_log() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/helpdesk/helpdesk_event_log.csv")
}

/// The access-token keys of `settings`.
pub fn jwt_keys(settings: &Settings) -> JwtKeys {
    JwtKeys::new(
        &settings.auth.jwt_secret,
        &settings.auth.issuer,
        &settings.auth.audience,
        settings.auth.access_token_ttl_seconds,
    )
    .unwrap()
}

/// Counts rows of a table.
pub fn count(conn: &mut PgConnection, table: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
        .get_result::<Count>(conn)
        .expect("count")
        .n
}

/// The `frontline` binary, configured for the `test` environment on `db` (add the arguments).
pub fn frontline_command(db: &TestDb) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_frontline"));
    command
        .env("FRONTLINE_ENV", "test")
        .env("FRONTLINE__DATABASE__DATABASE_NAME", &db.name)
        .env(
            "FRONTLINE_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        );
    command
}

/// Polls `done` every millisecond until it holds; panics naming `what` after 10 s.
pub async fn await_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
}
