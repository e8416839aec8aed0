use clap::Parser as _;
use tidings_app::cli::{Cli, Command, run_admin};
use tidings_app::{Config, start};
use tracing_subscriber::EnvFilter;

/// The multi-thread runtime is required: diesel-async's migration harness blocks in place.
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let config = Config::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => start(config).await?.wait().await,
        other => run_admin(&config, other).await,
    }
}
