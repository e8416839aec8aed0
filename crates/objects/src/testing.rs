//! An S3 server in-process for tests: `s3s-fs` over a temporary folder, with signature
//! checking on (requests signed with other credentials are refused).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;

use crate::S3Settings;

const ACCESS_KEY: &str = "tidings-test-access";
const SECRET_KEY: &str = "tidings-test-secret-key";

/// A running S3 server with one empty bucket; stopped and removed when dropped.
pub struct S3Server {
    pub endpoint: String,
    pub bucket: String,
    root: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl S3Server {
    /// Starts one on a free port of 127.0.0.1.
    ///
    /// # Errors
    /// When the folder or the port cannot be had.
    pub async fn start() -> anyhow::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let root = std::env::temp_dir().join(format!(
            "tidings-s3-{}-{nanos}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let bucket = "tidings".to_owned();
        tokio::fs::create_dir_all(root.join(&bucket)).await?;
        let fs = s3s_fs::FileSystem::new(&root)
            .map_err(|e| anyhow::anyhow!("the test S3 server's folder: {e:?}"))?;
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let service = service.clone();
                tokio::spawn(async move {
                    let served = Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                    if let Err(e) = served {
                        tracing::debug!(error = %e, "test S3 connection ended");
                    }
                });
            }
        });
        Ok(Self {
            endpoint,
            bucket,
            root,
            task,
        })
    }

    /// Settings that reach this server with its credentials.
    pub fn settings(&self) -> S3Settings {
        S3Settings {
            bucket: self.bucket.clone(),
            endpoint: Some(self.endpoint.clone()),
            region: Some("us-east-1".into()),
            access_key: Some((ACCESS_KEY.into(), SECRET_KEY.into())),
            presign_ttl: Duration::from_secs(300),
        }
    }

    /// Settings with a wrong secret: every request they sign is refused.
    pub fn wrong_settings(&self) -> S3Settings {
        S3Settings {
            access_key: Some((ACCESS_KEY.into(), "not-the-secret".into())),
            ..self.settings()
        }
    }

    /// How many objects the bucket holds (files under its folder, staging files aside).
    pub fn objects(&self) -> usize {
        fn count(dir: &std::path::Path) -> usize {
            std::fs::read_dir(dir).map_or(0, |entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                    .map(|e| {
                        let path = e.path();
                        if path.is_dir() { count(&path) } else { 1 }
                    })
                    .sum()
            })
        }
        count(&self.root.join(&self.bucket))
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
