//! A database that cannot be reached answers "storage unavailable, retry" (10009, HTTP 503,
//! `Retry-After`), not "internal error", and the server recovers by itself when it is back.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::Connection as _;
use diesel::connection::SimpleConnection as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tidings_store::DatabaseUrl;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::AbortHandle;

use crate::support::{Backend, Call, TestApp};

/// A TCP proxy in front of the PostgreSQL server that a test can cut and restore.
struct Proxy {
    listen: SocketAddr,
    upstream: SocketAddr,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> anyhow::Result<Self> {
        let proxy = Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            upstream,
            tasks: Arc::default(),
        };
        let listen = proxy.open(proxy.listen)?;
        Ok(Self { listen, ..proxy })
    }

    /// Listens on `at` (the same port again after a cut); the address.
    fn open(&self, at: SocketAddr) -> anyhow::Result<SocketAddr> {
        let socket = TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(at)?;
        let listener: TcpListener = socket.listen(64)?;
        let addr = listener.local_addr()?;
        let (upstream, tasks) = (self.upstream, self.tasks.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let pipe = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                lock(&tasks).push(pipe.abort_handle());
            }
        });
        lock(&self.tasks).push(accept.abort_handle());
        Ok(addr)
    }

    /// Drops every connection and stops listening: the database is gone.
    fn cut(&self) {
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
    }

    /// Listens again on the same port (once the aborted listener is gone).
    async fn restore(&self) -> anyhow::Result<()> {
        for _ in 0..50 {
            if self.open(self.listen).is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("cannot listen on {} again", self.listen)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// `postgres://user@host:port/db` with the host and port replaced.
fn via(url: &str, addr: SocketAddr) -> Option<String> {
    let (scheme_user, rest) = url.split_once('@')?;
    let (_, db) = rest.split_once('/')?;
    Some(format!("{scheme_user}@{addr}/{db}"))
}

/// Expects "storage unavailable": HTTP 503, code 10009, a `Retry-After`.
async fn unavailable(call: Call) -> anyhow::Result<()> {
    let (status, headers, v) = call.with_headers().await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(v["code"], 10009, "{v}");
    assert!(headers.contains_key("retry-after"), "{headers:?}");
    Ok(())
}

fn login_body() -> Value {
    json!({"name": "ann", "password": "secret-pw"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_goes_away_answers_503_then_recovers_postgres() -> anyhow::Result<()> {
    let Ok(server) = std::env::var(tidings_store::testing::POSTGRES_URL_VAR) else {
        eprintln!("SKIPPED on PostgreSQL: the variable is not set");
        return Ok(());
    };
    let host = server
        .split_once('@')
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(host, _)| host.to_owned())
        .ok_or_else(|| anyhow::anyhow!("cannot read the host of {server}"))?;
    let upstream = tokio::net::lookup_host(&host)
        .await?
        .next()
        .ok_or_else(|| anyhow::anyhow!("cannot resolve {host}"))?;
    let proxy = Proxy::start(upstream).await?;
    let listen = proxy.listen;
    let Some(app) = TestApp::spawn(Backend::Postgres, move |config| {
        if let DatabaseUrl::Postgres(url) = &config.database_url
            && let Some(proxied) = via(url, listen)
        {
            config.database_url = DatabaseUrl::Postgres(proxied);
        }
        config.token_cache_secs = 0;
    })
    .await?
    else {
        return Ok(());
    };
    app.register("ann", "secret-pw").await?;

    proxy.cut();
    unavailable(app.post("/token/user").json(login_body())).await?;
    unavailable(app.get("/readyz")).await?;

    proxy.restore().await?;
    recovers(&app).await?;
    proxy.cut();
    proxy.restore().await?;
    // The test database is dropped through the server named by the variable, not the proxy.
    app.finish().await
}

/// Within a few seconds of the database's return, logins succeed again.
async fn recovers(app: &TestApp) -> anyhow::Result<()> {
    for _ in 0..50 {
        let (status, v) = app.post("/token/user").json(login_body()).raw().await?;
        if status == StatusCode::OK && v["code"] == 200 {
            app.get("/readyz").ok().await?;
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    anyhow::bail!("the server did not recover within 10 s")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_sqlite_file_answers_503_then_recovers() -> anyhow::Result<()> {
    let Some(app) = TestApp::spawn(Backend::Sqlite, |_| {}).await? else {
        return Ok(());
    };
    app.register("ann", "secret-pw").await?;
    let DatabaseUrl::Sqlite(path) = &app.config.database_url else {
        anyhow::bail!("not SQLite");
    };
    // Another process holds the write lock for longer than the server's 5 s busy timeout.
    let mut other = diesel::sqlite::SqliteConnection::establish(&path.to_string_lossy())?;
    other.batch_execute("BEGIN EXCLUSIVE")?;
    unavailable(
        app.post("/user/register/v2")
            .json(json!({"username": "bob", "password": "secret-pw"})),
    )
    .await?;
    other.batch_execute("COMMIT")?;
    app.post("/user/register/v2")
        .json(json!({"username": "bob", "password": "secret-pw"}))
        .ok()
        .await?;
    recovers(&app).await?;
    app.finish().await
}
