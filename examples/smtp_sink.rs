//! A local SMTP server for `make bench` (scripts/bench-email.sh): accepts every message and
//! appends `<Message-ID>,<received Unix µs>` per message to a CSV file until SIGTERM/SIGINT.
//! The server is mailcrab's, the one the tests use.
//!
//! Usage: `smtp_sink PORT FILE`.

use std::io::Write;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(2525);
    let path = args.next().unwrap_or_else(|| "smtp-sink.csv".into());
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let mut server = mailcrab::development_mail_server([127, 0, 0, 1], port).await;
    let mut lagged = 0_u64;
    let mut stop = Box::pin(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        std::io::Result::Ok(())
    });
    loop {
        tokio::select! {
            _ = &mut stop => break,
            message = server.rx.recv() => match message {
                Ok(m) => {
                    let at = chrono::Utc::now().timestamp_micros();
                    let raw = m.raw_bytes().unwrap_or_default();
                    let id = mail_parser::MessageParser::default()
                        .parse_headers(&raw)
                        .and_then(|h| h.message_id().map(str::to_string))
                        .unwrap_or_default();
                    writeln!(out, "{id},{at}")?;
                    // Read while the sink runs: every line is on disk at once.
                    out.flush()?;
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => lagged += n,
                Err(_) => break,
            }
        }
    }
    out.flush()?;
    if lagged > 0 {
        eprintln!("smtp_sink: {lagged} messages not recorded (receiver lagged)");
    }
    Ok(())
}
