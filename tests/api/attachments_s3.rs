//! The S3-compatible attachment store against a real S3-compatible server: moto's, started by
//! the test on a free port (scripts/s3-setup.sh installs it; `make test` and CI run that).

use crate::attachments::{comment_with_files, download, new_ticket, png, send, staff};
use crate::helpers::{TestDb, spawn_app_on};
use frontline::attachments::StorageBackend;
use frontline::attachments::storage::{S3Storage, Storage, StorageError};
use frontline::models::enums::UserRole;
use std::path::PathBuf;

/// A moto S3 server on a free port, stopped when dropped.
struct Moto {
    child: std::process::Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The moto server program: `FRONTLINE_MOTO_SERVER`, the project's `.venv-s3/bin/moto_server`
/// (scripts/s3-setup.sh) or `moto_server` on the PATH.
fn moto_program() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("FRONTLINE_MOTO_SERVER") {
        return Some(PathBuf::from(path));
    }
    let venv = std::env::current_dir()
        .ok()?
        .join(".venv-s3/bin/moto_server");
    if venv.exists() {
        return Some(venv);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("moto_server"))
            .find(|p| p.exists())
    })
}

async fn start_moto() -> Option<Moto> {
    let Some(program) = moto_program() else {
        eprintln!(
            "SKIPPED: the S3 attachment tests need moto_server (run scripts/s3-setup.sh, which \
             `make test` and CI run, or set FRONTLINE_MOTO_SERVER)"
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(&program)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program:?}: {e}"));
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client
            .get(format!("{}/", moto.endpoint))
            .send()
            .await
            .is_ok()
        {
            return Some(moto);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "moto_server did not answer on {} within 30 s",
        moto.endpoint
    );
}

#[tokio::test]
async fn attachments_go_through_a_real_s3_compatible_server() {
    let Some(moto) = start_moto().await else {
        return;
    };
    // The bucket (moto accepts an unsigned request).
    let response = reqwest::Client::new()
        .put(format!("{}/frontline-attachments", moto.endpoint))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{:?}",
        response.text().await
    );
    let mut db = TestDb::new();
    let s = &mut db.settings.attachments;
    s.storage = StorageBackend::S3;
    s.s3_endpoint = moto.endpoint.clone();
    s.s3_bucket = "frontline-attachments".into();
    s.s3_prefix = "tickets".into();
    s.s3_access_key_id = "testing".into();
    s.s3_secret_access_key = "testing".to_string().into();
    s.s3_allow_http = true;
    let settings = db.settings.attachments.clone();
    let store = S3Storage::new(&settings).unwrap();

    // The trait itself: put, get, overwrite, delete, a missing key.
    store.put("attachments/probe", "one".into()).await.unwrap();
    assert_eq!(store.get("attachments/probe").await.unwrap(), "one");
    store.put("attachments/probe", "two".into()).await.unwrap();
    assert_eq!(store.get("attachments/probe").await.unwrap(), "two");
    store.delete("attachments/probe").await.unwrap();
    assert!(matches!(
        store.get("attachments/probe").await,
        Err(StorageError::NotFound(_))
    ));
    store.delete("attachments/probe").await.unwrap();
    assert!(matches!(
        store.get("../x").await,
        Err(StorageError::InvalidKey(_))
    ));

    // Through the API.
    let app = spawn_app_on(db).await;
    let agent = staff(&app, UserRole::Agent);
    let ticket = new_ticket(&app, &agent).await;
    let photo = png();
    let (status, created, _) = comment_with_files(
        &app,
        &agent.token,
        ticket,
        &[("body", "Kiosk photo")],
        &[("attachments", "kiosk.png", &photo)],
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let file = &created["comment"]["attachments"][0];
    let got = download(&app, &agent.token, file["content_url"].as_str().unwrap()).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.bytes, photo);
    assert_eq!(
        got.headers["content-disposition"],
        "attachment; filename=\"kiosk.png\""
    );
    // The object is in the bucket under the prefix.
    let key: String = {
        use diesel::prelude::*;
        frontline::schema::attachments::table
            .select(frontline::schema::attachments::storage_key)
            .first(&mut app.db.conn())
            .unwrap()
    };
    let mut unprefixed = settings.clone();
    unprefixed.s3_prefix = String::new();
    let raw = S3Storage::new(&unprefixed).unwrap();
    assert_eq!(
        raw.get(&format!("tickets/{key}")).await.unwrap().to_vec(),
        photo
    );
    // A redaction deletes the object.
    let (status, done) = send(
        &app,
        &app.admin_token,
        reqwest::Method::POST,
        &format!(
            "/api/v1/tickets/{ticket}/attachments/{}/redaction",
            file["id"]
        ),
        None,
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert!(matches!(
        store.get(&key).await,
        Err(StorageError::NotFound(_))
    ));
}
