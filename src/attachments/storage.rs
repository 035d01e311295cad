//! The attachment store: [`Storage`] (put, get, delete by key) with a local-folder default
//! ([`LocalStorage`]) and an S3-compatible backend ([`S3Storage`], AWS S3, MinIO, Ceph, …).
//!
//! Keys are made by the service (`attachments/<uuid>`), never from a client's file name; both
//! backends refuse any other shape ([`valid_key`]).

use super::{AttachmentSettings, StorageBackend};
use actix_web::web::Bytes;
use secrecy::ExposeSecret;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

/// What a store's operations return.
pub type StorageFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StorageError>> + Send + 'a>>;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No object under the key.
    #[error("no stored object {0}")]
    NotFound(String),
    /// The key is not one the service makes ([`valid_key`]).
    #[error("invalid storage key {0:?}")]
    InvalidKey(String),
    /// The backend failed (I/O, network, credentials, …).
    #[error("attachment store: {0}")]
    Backend(#[from] anyhow::Error),
}

/// Where attachments' bytes are kept, by key.
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// Stores `bytes` under `key` (replacing what was there); whole or not at all.
    fn put<'a>(&'a self, key: &'a str, bytes: Bytes) -> StorageFuture<'a, ()>;
    /// The bytes under `key`; [`StorageError::NotFound`] when there are none.
    fn get<'a>(&'a self, key: &'a str) -> StorageFuture<'a, Bytes>;
    /// Removes the object under `key`; a missing one is not an error.
    fn delete<'a>(&'a self, key: &'a str) -> StorageFuture<'a, ()>;
}

/// A new key for an attachment: `attachments/<uuid v4>`.
pub fn new_key() -> String {
    format!("attachments/{}", uuid::Uuid::new_v4().simple())
}

/// A key the service makes: `/`-separated segments of ASCII letters, digits, `-`, `_` and `.`,
/// none empty, `.` or `..`, at most 512 bytes.
pub fn valid_key(key: &str) -> bool {
    key.len() <= 512
        && key.split('/').all(|s| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
}

/// The store the settings name.
///
/// # Errors
/// The S3 client cannot be built from the settings (a bad endpoint URL, …).
pub fn from_settings(settings: &AttachmentSettings) -> anyhow::Result<Arc<dyn Storage>> {
    Ok(match settings.storage {
        StorageBackend::Local => Arc::new(LocalStorage::new(settings.local_dir.clone())),
        StorageBackend::S3 => Arc::new(S3Storage::new(settings)?),
    })
}

/// Files under a folder: `<root>/<key>`, written to a temporary file and renamed into place.
#[derive(Debug, Clone)]
pub struct LocalStorage {
    root: PathBuf,
}

impl LocalStorage {
    /// A store under `root` (created on the first write).
    pub fn new(root: PathBuf) -> LocalStorage {
        LocalStorage { root }
    }

    fn path(&self, key: &str) -> Result<PathBuf, StorageError> {
        if !valid_key(key) {
            return Err(StorageError::InvalidKey(key.to_string()));
        }
        Ok(self.root.join(key))
    }
}

/// Runs blocking file I/O off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StorageError> + Send + 'static,
) -> Result<T, StorageError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StorageError::Backend(anyhow::anyhow!("file task failed: {e}")))?
}

impl Storage for LocalStorage {
    fn put<'a>(&'a self, key: &'a str, bytes: Bytes) -> StorageFuture<'a, ()> {
        Box::pin(async move {
            let path = self.path(key)?;
            blocking(move || {
                let io =
                    |e: std::io::Error| StorageError::Backend(anyhow::anyhow!("{path:?}: {e}"));
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
                std::fs::write(&tmp, &bytes).map_err(io)?;
                std::fs::rename(&tmp, &path).map_err(|e| {
                    let _ = std::fs::remove_file(&tmp);
                    io(e)
                })
            })
            .await
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> StorageFuture<'a, Bytes> {
        Box::pin(async move {
            let path = self.path(key)?;
            let key = key.to_string();
            blocking(move || match std::fs::read(&path) {
                Ok(bytes) => Ok(Bytes::from(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Err(StorageError::NotFound(key))
                }
                Err(e) => Err(StorageError::Backend(anyhow::anyhow!("{path:?}: {e}"))),
            })
            .await
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StorageFuture<'a, ()> {
        Box::pin(async move {
            let path = self.path(key)?;
            blocking(move || match std::fs::remove_file(&path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(StorageError::Backend(anyhow::anyhow!("{path:?}: {e}"))),
            })
            .await
        })
    }
}

/// Objects in an S3-compatible bucket (`object_store`'s S3 client; path-style requests when an
/// endpoint is set, so that MinIO and other S3-compatible servers work).
#[derive(Debug)]
pub struct S3Storage {
    store: object_store::aws::AmazonS3,
    prefix: String,
}

impl S3Storage {
    /// A client of the bucket `settings.s3_bucket`.
    ///
    /// # Errors
    /// The settings do not make a client (a bad endpoint URL, …).
    pub fn new(settings: &AttachmentSettings) -> anyhow::Result<S3Storage> {
        // reqwest is built without a default TLS provider (see workers::webhooks).
        crate::workers::webhooks::install_crypto_provider();
        let mut builder = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&settings.s3_bucket)
            .with_region(&settings.s3_region)
            .with_allow_http(settings.s3_allow_http);
        if !settings.s3_endpoint.is_empty() {
            builder = builder
                .with_endpoint(&settings.s3_endpoint)
                .with_virtual_hosted_style_request(false);
        }
        if !settings.s3_access_key_id.is_empty() {
            builder = builder
                .with_access_key_id(&settings.s3_access_key_id)
                .with_secret_access_key(settings.s3_secret_access_key.expose_secret());
        }
        let store = builder
            .build()
            .map_err(|e| anyhow::anyhow!("attachments.s3_*: {e}"))?;
        Ok(S3Storage {
            store,
            prefix: settings.s3_prefix.trim_matches('/').to_string(),
        })
    }

    fn path(&self, key: &str) -> Result<object_store::path::Path, StorageError> {
        if !valid_key(key) {
            return Err(StorageError::InvalidKey(key.to_string()));
        }
        let full = if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", self.prefix)
        };
        object_store::path::Path::parse(full)
            .map_err(|e| StorageError::Backend(anyhow::anyhow!("{e}")))
    }
}

fn backend(e: object_store::Error) -> StorageError {
    StorageError::Backend(anyhow::anyhow!("{e}"))
}

impl Storage for S3Storage {
    fn put<'a>(&'a self, key: &'a str, bytes: Bytes) -> StorageFuture<'a, ()> {
        Box::pin(async move {
            use object_store::ObjectStoreExt;
            let path = self.path(key)?;
            self.store
                .put(&path, object_store::PutPayload::from_bytes(bytes))
                .await
                .map_err(backend)?;
            Ok(())
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> StorageFuture<'a, Bytes> {
        Box::pin(async move {
            use object_store::ObjectStoreExt;
            let path = self.path(key)?;
            match self.store.get(&path).await {
                Ok(result) => result.bytes().await.map_err(backend),
                Err(object_store::Error::NotFound { .. }) => {
                    Err(StorageError::NotFound(key.to_string()))
                }
                Err(e) => Err(backend(e)),
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StorageFuture<'a, ()> {
        Box::pin(async move {
            use object_store::ObjectStoreExt;
            let path = self.path(key)?;
            match self.store.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(backend(e)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_service_made_keys_are_valid() {
        assert!(valid_key(&new_key()));
        for bad in ["", "a//b", "../x", "a/./b", "a/b c", "/abs", "a\\b", "a/"] {
            assert!(!valid_key(bad), "{bad:?}");
        }
    }
}
