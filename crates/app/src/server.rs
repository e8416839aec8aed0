//! Starting and stopping the HTTP server.

use std::net::SocketAddr;

use actix_web::{App, HttpServer, middleware};
use tidings_http::ApiState;
use tidings_http::edge::ConnectionLimiter;
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

/// Opens and migrates the database, creates the default app on an empty database, binds
/// the listen address and starts serving in the background. Must be called on tokio's
/// multi-thread runtime: the domain work of every request runs on it.
///
/// # Errors
/// When the database cannot be opened or migrated, or the address cannot be bound.
pub async fn start(config: Config) -> anyhow::Result<RunningServer> {
    let store = wiring::open_store(&config).await?;
    let services = wiring::services(&store, &config)?;
    let default_app = ensure_default_app(&services.users, &config.data_dir).await?;
    let runner = services.webhooks.clone();
    let rate_limits = std::sync::Arc::new(RateLimits::new(config.limits.clone()));
    let state = ApiState {
        users: services.users,
        roster: services.roster,
        groups: services.groups,
        messaging: services.messaging,
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
    let cors_origins = config.edge.cors_origins.clone();
    let server = HttpServer::new(move || {
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
            .configure(tidings_http::configure(state.clone()))
    })
    .on_connect(move |connection, data| {
        let Some(tcp) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() else {
            return;
        };
        // Frames and answers are small: send them at once rather than wait for the peer's
        // delayed ACK (Nagle), which costs up to 40 ms a message.
        let _ = tcp.set_nodelay(true);
        let Ok(peer) = tcp.peer_addr() else { return };
        match limiter.admit(peer.ip()) {
            // Held by the connection: dropped, and the place freed, when it closes.
            Some(slot) => {
                data.insert(slot);
            }
            None => {
                tracing::debug!(ip = %peer.ip(), "connection over the per-IP cap closed");
                let _ = socket2::SockRef::from(tcp).shutdown(std::net::Shutdown::Both);
            }
        }
    })
    .client_request_timeout(config.edge.header_timeout)
    .workers(config.workers)
    .bind(&config.listen)?;
    let addr = server
        .addrs()
        .first()
        .copied()
        .ok_or_else(|| anyhow::anyhow!("bound no address for {}", config.listen))?;
    let server = server.run();
    // Started once the address is bound, so a failed start leaves nothing running.
    let webhooks = crate::webhooks::spawn_runner(runner, config.webhooks.poll);
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
    })
}
