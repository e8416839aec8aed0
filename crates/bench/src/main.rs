//! `tidings-bench`: the load benchmark of docs/PERFORMANCE.md. Run it with `just bench`.

mod limits;
mod load;
mod push;
mod server;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};

use crate::load::{Fleet, Phase, Via, percentiles, send_phase};
use crate::server::{Database, Server};

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
    Both,
}

/// Measures a release build of the server on a fresh database.
#[derive(Parser, Debug)]
struct Args {
    /// The server binary (build it with `cargo build --release`).
    #[arg(long, default_value = "target/release/tidings")]
    server_bin: PathBuf,
    #[arg(long, value_enum, default_value = "both")]
    database: Backend,
    /// PostgreSQL server URL, without a database name.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    postgres: String,
    /// Users, each with one WebSocket; user i sends to user i + users/2.
    #[arg(long, default_value_t = 200)]
    users: usize,
    /// Seconds per send phase.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Messages per second of the paced phases.
    #[arg(long, default_value_t = 5000)]
    rate: u64,
    /// Concurrent senders.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Idle WebSockets opened to measure memory per connection.
    #[arg(long, default_value_t = 10_000)]
    idle_connections: usize,
    /// Server database pool size.
    #[arg(long, default_value_t = 32)]
    db_connections: usize,
    /// Offline devices with APNs tokens for the push phase (0 skips it).
    #[arg(long, default_value_t = 10_000)]
    push_devices: usize,
    /// Messages per second between the push phase's offline users (for `--duration`).
    #[arg(long, default_value_t = 1000)]
    push_rate: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // 10,000 client sockets here and as many in the server (a child, which inherits this).
    let _ = rlimit::increase_nofile_limit(20_000);
    let mut databases = Vec::new();
    if args.database != Backend::Postgres {
        databases.push(Database::Sqlite);
    }
    if args.database != Backend::Sqlite {
        databases.push(Database::Postgres {
            server: args.postgres.clone(),
            name: "tidings_bench".into(),
        });
    }
    println!("# tidings-bench");
    println!(
        "users {}, {} s per phase, paced rate {}/s, {} concurrent senders, {} idle connections, server pool {}",
        args.users,
        args.duration,
        args.rate,
        args.concurrency,
        args.idle_connections,
        args.db_connections
    );
    for database in &databases {
        run(&args, database).await?;
    }
    if args.push_devices > 0 {
        let (mock, ca) = push::mock().await?;
        push::client(&mock, &ca, 20_000, 500).await?;
        let _ = std::fs::remove_file(&ca);
    }
    if args.database != Backend::Sqlite {
        let tps = limits::pgbench_insert_tps(&args.postgres, 16, args.duration as u32).await?;
        println!(
            "\n## PostgreSQL limit\npgbench, one single-row INSERT per transaction, 16 clients: {tps:.0} TPS"
        );
    }
    Ok(())
}

async fn run(args: &Args, database: &Database) -> anyhow::Result<()> {
    let mut env = vec![(
        "TIDINGS_DB_MAX_CONNECTIONS".to_owned(),
        args.db_connections.to_string(),
    )];
    // Every client runs on this machine, from one address: lift the per-IP, per-user and
    // per-app limits, which would otherwise cap what is measured.
    for (name, value) in [
        ("TIDINGS_MAX_CONNECTIONS_PER_IP", "1000000"),
        ("TIDINGS_WS_PER_USER", "1000000"),
        ("TIDINGS_LOGINS_PER_IP", "1000000"),
        ("TIDINGS_REGISTRATIONS_PER_IP", "1000000000"),
        ("TIDINGS_SENDS_PER_USER", "1000000"),
        ("TIDINGS_SENDS_PER_APP", "1000000"),
        ("TIDINGS_PUSH_MAX_IN_FLIGHT", "500"),
    ] {
        env.push((name.to_owned(), value.to_owned()));
    }
    let (mock, ca) = push::mock().await?;
    env.push(("TIDINGS_APNS_URL".to_owned(), mock.url.clone()));
    env.push(("TIDINGS_PUSH_EXTRA_CA".to_owned(), ca.display().to_string()));
    let server = Server::start(&args.server_bin, database, &env).await?;
    println!("\n## {}", database.label());
    let rps = limits::bare_endpoint_rps(&server.base, 64, Duration::from_secs(5)).await;
    println!("bare endpoint GET /healthz, 64 concurrent: {rps:.0} req/s");

    let users = Arc::new(load::users(&server, args.users, 16).await?);
    let clock = Instant::now();
    let duration = Duration::from_secs(args.duration);
    println!(
        "\n| phase | sent/s | accepted/s | delivered/s | p50 ms | p99 ms | max ms | lost | duplicated | gaps |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let phases = [
        ("REST, flat out", Via::Rest, None),
        ("REST, paced", Via::Rest, Some(args.rate)),
        ("WebSocket, paced", Via::WebSocket, Some(args.rate)),
    ];
    for (name, via, rate) in phases {
        let fleet = Fleet::open(&server, &users, clock).await?;
        let started = Instant::now();
        let phase = Phase {
            via,
            concurrency: args.concurrency,
            rate,
            duration,
        };
        let sent = send_phase(&server, &users, &fleet, &phase, clock).await;
        let elapsed = started.elapsed().as_secs_f64();
        // Let deliveries drain.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let mut seen = fleet.finish().await;
        let accepted = match via {
            Via::Rest => sent,
            Via::WebSocket => seen.acks,
        };
        let (p50, p99, max) = percentiles(&mut seen.latencies);
        let ms = |us: u64| us as f64 / 1000.0;
        println!(
            "| {name} | {:.0} | {:.0} | {:.0} | {:.1} | {:.1} | {:.1} | {} | {} | {} |",
            sent as f64 / elapsed,
            accepted as f64 / elapsed,
            seen.received as f64 / elapsed,
            ms(p50),
            ms(p99),
            ms(max),
            accepted.saturating_sub(seen.received),
            seen.duplicates,
            seen.gaps,
        );
    }

    if args.idle_connections > 0 {
        let before = server.rss_bytes()?;
        let mut idle = Vec::with_capacity(args.idle_connections);
        for i in 0..args.idle_connections {
            idle.push(load::connect(&server, &users[i % users.len()].token).await?);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let after = server.rss_bytes()?;
        let per = after.saturating_sub(before) as f64 / args.idle_connections as f64;
        println!(
            "\nidle WebSockets: {} opened; server RSS {:.1} MB → {:.1} MB: {:.1} KB per connection",
            args.idle_connections,
            before as f64 / 1e6,
            after as f64 / 1e6,
            per / 1024.0
        );
        drop(idle);
    }
    if args.push_devices > 0 {
        push::phase(
            &server,
            &args.server_bin,
            &mock,
            args.push_devices,
            args.push_rate,
            duration,
        )
        .await?;
    }
    server.stop().await;
    let _ = std::fs::remove_file(&ca);
    Ok(())
}
