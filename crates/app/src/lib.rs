#![doc = include_str!("../README.md")]

pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod server;
mod wiring;

pub use config::Config;
pub use server::{RunningServer, start};

/// Opens (and migrates) the configured database and builds the users service on it: what
/// the `app` subcommands use.
///
/// # Errors
/// When the database cannot be opened or migrated.
pub async fn users_service(config: &Config) -> anyhow::Result<tidings_users::Users> {
    let store = wiring::open_store(config).await?;
    Ok(wiring::services(&store, config)?.users)
}
