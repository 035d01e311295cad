//! `spawn_app()`, `TestDb` and small typed helpers shared by the tests.

use diesel::prelude::*;
use frontline::configuration::{Environment, Settings, config_dir};
use frontline::db::{self, PgPool};
use frontline::import::event_log::{ImportOptions, ImportSummary, Mapping, import_reader};
use frontline::startup::Application;
use secrecy::ExposeSecret;
use std::sync::atomic::{AtomicU32, Ordering};

/// Settings of the `test` environment (`FRONTLINE__…` variables still apply).
pub fn test_settings() -> Settings {
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
        let pool = db::pool(&settings.database);
        TestDb {
            name,
            settings,
            pool,
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
}

/// Starts the application on a free port over a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(TestDb::new()).await
}

/// Starts the application over `db`.
pub async fn spawn_app_on(db: TestDb) -> TestApp {
    let app = Application::build_with_pool(db.settings.clone(), db.pool.clone()).expect("build");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        db,
        client: reqwest::Client::new(),
    }
}

impl TestApp {
    /// GET `path` (relative to the server root).
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .expect("request")
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
