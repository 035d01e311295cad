//! `frontline serve`: the HTTP API and the background jobs, until Ctrl-C.

use frontline::configuration::Settings;
use frontline::db;
use frontline::startup::Application;

/// Serves the API and runs the background jobs until the server stops; prints where to start
/// (`login_hint`: the development admin's log-in body, from `serve --bootstrap`).
pub fn serve(settings: Settings, login_hint: Option<String>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let system = actix_web::rt::System::with_tokio_rt(|| runtime);
    system.block_on(async move {
        let host = settings.application.host.clone();
        let pool = db::pool(&settings.database);
        let runner = frontline::workers::start(&settings, pool.clone())?;
        let mail = match settings.email.transport {
            frontline::configuration::MailTransport::File => format!(
                "written as .eml files under {}",
                std::fs::canonicalize(&settings.email.file_dir)
                    .unwrap_or_else(|_| settings.email.file_dir.clone())
                    .display()
            ),
            frontline::configuration::MailTransport::Smtp => format!(
                "sent through SMTP {}:{}",
                settings.email.smtp_host, settings.email.smtp_port
            ),
        };
        let workers_on = settings.workers.enabled;
        let links = settings.email.public_base_url.clone();
        let app = Application::build_with_pool(settings, pool.clone())?;
        // Load the metrics store now rather than on a manager's first request (at a million
        // tickets that takes seconds); requests arriving meanwhile wait for it.
        let store = app.metrics_store();
        let store_pool = pool.clone();
        actix_web::rt::task::spawn_blocking(move || {
            if let Err(e) = store.read(&store_pool, |_, _| Ok(())) {
                tracing::warn!(error = %e, "metrics store not loaded at start-up");
            }
        });
        let base = format!("http://{host}:{}", app.port());
        println!("Frontline is serving on {base}  (Ctrl-C stops it)");
        println!("  {base}/login            (managers' dashboard: log in with a manager or admin account)");
        println!("  {base}/docs/            (Swagger UI)");
        println!("  {base}/api/v1/openapi.json");
        println!("  {base}/readyz");
        if workers_on {
            println!("Customer emails are {mail}; their survey and unsubscribe links point at {links} (email.public_base_url)");
        } else {
            println!("Customer emails are queued but not sent: workers.enabled is false");
        }
        if let Some(credentials) = login_hint {
            println!("Log in (the development admin; change its password before real use):");
            println!(
                "  TOKEN=$(curl -s -H 'content-type: application/json' -d '{credentials}' \\\n    {base}/api/v1/auth/login | sed 's/.*\"access_token\":\"\\([^\"]*\\)\".*/\\1/')"
            );
        } else {
            println!("Log in with POST {base}/api/v1/auth/login (create an account with `frontline user create`).");
        }
        println!("Then:");
        println!("  curl -s -H \"Authorization: Bearer $TOKEN\" {base}/api/v1/metrics/summary");
        println!("  curl -s -H \"Authorization: Bearer $TOKEN\" '{base}/api/v1/tickets?status=solved&per_page=5'");
        println!("  curl -s -H \"Authorization: Bearer $TOKEN\" {base}/api/v1/tickets/1");
        let served = app.run_until_stopped().await;
        // The jobs stop with the server, after the pass each may be in.
        runner.shutdown().await;
        served?;
        tracing::info!("server stopped");
        Ok(())
    })
}
