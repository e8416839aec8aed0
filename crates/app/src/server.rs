//! Starting and stopping the HTTP server.

use std::net::SocketAddr;

use std::future::ready;
use std::time::Duration;

use actix_http::error::DispatchError;
use actix_service::{IntoServiceFactory as _, ServiceFactoryExt as _, fn_service, map_config};
use actix_web::dev::AppConfig;
use actix_web::{App, middleware};
use tidings_http::ApiState;
use tidings_http::edge::{Connection, ConnectionLimiter, HeadDeadlines};
use tidings_http::limits::RateLimits;

use crate::bootstrap::{CredentialsFile, ensure_default_app};
use crate::{Config, wiring};

/// A server that is accepting connections.
pub struct RunningServer {
    /// The address it listens on (the real port when the configuration asked for port 0).
    pub addr: SocketAddr,
    /// The default app's credentials, when this start created it.
    pub default_app: Option<CredentialsFile>,
    handle: actix_web::dev::ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    /// The webhook runner, stopped with the server.
    webhooks: tokio::task::JoinHandle<()>,
    /// The rate limits' sweeper, stopped with the server.
    sweeper: tokio::task::JoinHandle<()>,
    /// Deletes the bytes of deleted files, stopped with the server.
    file_cleanup: tokio::task::JoinHandle<()>,
    /// Delivers push tasks and retries vendor pushes, stopped with the server.
    push: tokio::task::JoinHandle<()>,
    /// Notify offline devices of new messages, stopped with the server.
    message_pushes: Vec<tokio::task::JoinHandle<()>>,
}

impl RunningServer {
    /// Waits until the server stops (on SIGINT or SIGTERM).
    ///
    /// # Errors
    /// When the server failed.
    pub async fn wait(self) -> anyhow::Result<()> {
        let result = self.task.await;
        self.webhooks.abort();
        self.sweeper.abort();
        self.file_cleanup.abort();
        self.push.abort();
        for loop_ in &self.message_pushes {
            loop_.abort();
        }
        result??;
        Ok(())
    }

    /// Stops the server gracefully and waits for it.
    ///
    /// # Errors
    /// When the server failed.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.handle.stop(true).await;
        self.wait().await
    }
}

/// How long an idle connection stays open between requests.
const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// How often the queue of file deletions is looked at when it was empty.
const CLEANUP_POLL: Duration = Duration::from_secs(1);
/// How often due push deliveries are looked for (and written receipts counted).
const PUSH_POLL: Duration = Duration::from_millis(200);
/// Loops working the notifications of the messages this node stores, handed over in memory.
const MESSAGE_PUSH_LOOPS: usize = 3;
/// How often notifications are looked for in the queue (those whose node stopped before
/// they were done, retries, and those stored while the hand-off was full).
const MESSAGE_PUSH_POLL: Duration = Duration::from_secs(1);

/// Runs a durable job queue in the background: `run_once` again at once while it finds
/// jobs, else after `poll`; a failure is logged and retried after `poll`.
fn poll_jobs<F, Fut>(what: &'static str, poll: Duration, run_once: F) -> tokio::task::JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<usize>> + Send,
{
    tokio::spawn(async move {
        loop {
            match run_once().await {
                Ok(taken) if taken > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %format!("{e:#}"), what),
            }
            tokio::time::sleep(poll).await;
        }
    })
}

/// Backlog of connections not yet accepted, per listening socket.
const BACKLOG: i32 = 1024;

/// Binds the addresses `listen` names (a host name may name several, as `localhost` names
/// 127.0.0.1 and ::1): those that can be bound; an error only when none can.
fn listeners(listen: &str) -> anyhow::Result<Vec<std::net::TcpListener>> {
    use std::net::ToSocketAddrs as _;
    let addrs = listen
        .to_socket_addrs()
        .map_err(|e| anyhow::anyhow!("TIDINGS_LISTEN={listen}: {e}"))?;
    let bind = |addr: std::net::SocketAddr| -> std::io::Result<std::net::TcpListener> {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(addr),
            socket2::Type::STREAM,
            Some(socket2::Protocol::TCP),
        )?;
        socket.set_reuse_address(true)?;
        socket.bind(&addr.into())?;
        socket.listen(BACKLOG)?;
        Ok(socket.into())
    };
    let mut bound = Vec::new();
    let mut failure = None;
    for addr in addrs {
        match bind(addr) {
            Ok(listener) => bound.push(listener),
            Err(e) => {
                tracing::warn!(%addr, error = %e, "an address of TIDINGS_LISTEN was not bound");
                failure = Some(e);
            }
        }
    }
    match (bound.is_empty(), failure) {
        (false, _) => Ok(bound),
        (true, Some(e)) => Err(anyhow::anyhow!("TIDINGS_LISTEN={listen}: {e}")),
        (true, None) => Err(anyhow::anyhow!("TIDINGS_LISTEN={listen} names no address")),
    }
}

/// Opens and migrates the database, creates the default app on an empty database, binds
/// the listen address and starts serving in the background. Must be called on tokio's
/// multi-thread runtime: the domain work of every request runs on it.
///
/// # Errors
/// When the database cannot be opened or migrated, or the address cannot be bound.
pub async fn start(config: Config) -> anyhow::Result<RunningServer> {
    let store = wiring::open_store(&config).await?;
    let services = wiring::services(&store, &config, wiring::file_key(&store).await?)?;
    let default_app = ensure_default_app(&services.users, &config.data_dir).await?;
    let runner = services.webhooks.clone();
    let cleanup = services.cleanup.clone();
    let (push, push_deliveries, push_retries, message_pushes) = (
        services.push.clone(),
        services.push_deliveries.clone(),
        services.push_retries.clone(),
        services.message_pushes.clone(),
    );
    let rate_limits = std::sync::Arc::new(RateLimits::new(config.limits.clone()));
    let state = ApiState {
        users: services.users,
        roster: services.roster,
        groups: services.groups,
        messaging: services.messaging,
        files: services.files,
        push: services.push,
        public_url: config.files.public_url.clone(),
        uploads: std::sync::Arc::new(tokio::sync::Semaphore::new(
            config.files.max_concurrent_uploads,
        )),
        readiness: std::sync::Arc::new(wiring::StoreReadiness(store)),
        hub: services.hub,
        gateway: config.gateway.clone(),
        edge: config.edge.clone(),
        limits: rate_limits.clone(),
        runtime: tokio::runtime::Handle::current(),
    };
    let limiter = ConnectionLimiter::new(
        config.edge.max_connections_per_ip,
        config.edge.trusted_proxies.clone(),
    );
    let deadlines = HeadDeadlines {
        header_timeout: config.edge.header_timeout,
        keep_alive: KEEP_ALIVE,
    };
    let cors_origins = config.edge.cors_origins.clone();
    let app = move || {
        App::new()
            .wrap(middleware::from_fn(tidings_http::edge::guard))
            .wrap(middleware::Condition::new(
                !cors_origins.is_empty(),
                tidings_http::edge::cors(&cors_origins),
            ))
            .wrap(
                middleware::Logger::new("%a %{METHOD}xi %U %s %b %Dms")
                    .custom_request_replace("METHOD", |req| req.method().to_string()),
            )
            .wrap(middleware::from_fn(
                tidings_http::edge::connection::watch_requests,
            ))
            .configure(tidings_http::configure(state.clone()))
    };
    let listeners = listeners(&config.listen)?;
    let addr = listeners
        .first()
        .map(std::net::TcpListener::local_addr)
        .transpose()?
        .ok_or_else(|| anyhow::anyhow!("bound no address for {}", config.listen))?;
    let mut server = actix_server::Server::build().workers(config.workers);
    // Tells the connections a graceful stop began, so kept-alive ones close after their
    // current answer instead of holding the stop until they idle out.
    let stopping = server.graceful_shutdown_signal();
    for listener in listeners {
        let (app, limiter, stopping) = (app.clone(), limiter.clone(), stopping.clone());
        server = server.listen("tidings", listener, move || {
            let (limiter, stopping) = (limiter.clone(), stopping.clone());
            // Each stream is read through a `Connection` (see `tidings_http::edge::connection`),
            // which times every request head; actix's own head timer (first request only) is
            // off.
            let http = actix_http::HttpServiceBuilder::<Connection, _>::default()
                .graceful_shutdown_signal(move || {
                    let stopping = stopping.clone();
                    async move { stopping.notified().await }
                })
                .keep_alive(KEEP_ALIVE)
                .client_request_timeout(Duration::ZERO)
                .client_disconnect_timeout(Duration::from_secs(1))
                .on_connect_ext(|io: &Connection, data| {
                    data.insert(io.watch());
                })
                .h1(map_config(
                    app()
                        .into_factory()
                        .map_err(|e: actix_web::Error| e.error_response()),
                    // Only URL generation and the host fallback of `ConnectionInfo` read it;
                    // Tidings uses neither.
                    |()| AppConfig::default(),
                ));
            fn_service(move |tcp| {
                ready(Connection::accept(tcp, &limiter, deadlines).map_err(DispatchError::Io))
            })
            .and_then(http)
        })?;
    }
    let server = server.run();
    // Started once the address is bound, so a failed start leaves nothing running.
    let webhooks = poll_jobs("webhook outbox", config.webhooks.poll, move || {
        let runner = runner.clone();
        async move { runner.run_once().await.map_err(|e| e.0) }
    });
    let file_cleanup = poll_jobs("file deletions", CLEANUP_POLL, move || {
        let cleanup = cleanup.clone();
        async move { cleanup.run_once().await.map_err(|e| e.0) }
    });
    // Notifications of new messages have loops of their own, which take the messages this
    // node stores as they are handed over: a long task delivery never holds them up, and
    // while one loop sends its wave another takes the next. One more loop polls the queue.
    let mut message_push_loops: Vec<_> = (0..MESSAGE_PUSH_LOOPS)
        .map(|_| {
            let messages = message_pushes.clone();
            tokio::spawn(async move {
                loop {
                    if let Err(e) = messages.run_handed().await {
                        tracing::warn!(error = %format!("{:#}", e.0), "message pushes");
                    }
                }
            })
        })
        .collect();
    message_push_loops.push(poll_jobs("message pushes", MESSAGE_PUSH_POLL, move || {
        let messages = message_pushes.clone();
        async move { messages.run_once().await.map_err(|e| e.0) }
    }));
    let push = poll_jobs("push deliveries", PUSH_POLL, move || {
        let (push, deliveries, retries) =
            (push.clone(), push_deliveries.clone(), push_retries.clone());
        async move {
            let taken = deliveries.run_once().await.map_err(|e| e.0)?;
            let retried = retries.run_once().await.map_err(|e| e.0)?;
            push.flush_receipts().await?;
            Ok(taken + retried)
        }
    });
    let sweeper = tokio::spawn(async move {
        let mut every = tokio::time::interval(tidings_http::limits::SWEEP_EVERY);
        loop {
            every.tick().await;
            rate_limits.sweep();
        }
    });
    let handle = server.handle();
    let task = tokio::spawn(server);
    tracing::info!(%addr, "Tidings is serving");
    Ok(RunningServer {
        addr,
        default_app,
        handle,
        task,
        webhooks,
        sweeper,
        file_cleanup,
        push,
        message_pushes: message_push_loops,
    })
}
