#![doc = include_str!("../README.md")]

pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod server;
pub mod webhooks;
mod wiring;

pub use config::Config;
pub use server::{RunningServer, start};

/// Opens (and migrates) the configured database and builds the users service on it: what
/// the `app` subcommands use.
///
/// # Errors
/// When the database cannot be opened or migrated.
pub async fn users_service(config: &Config) -> anyhow::Result<tidings_users::Users> {
    Ok(admin_services(config).await?.users)
}

/// The domain services on the configured database, for the admin commands.
pub(crate) async fn admin_services(config: &Config) -> anyhow::Result<wiring::Services> {
    let store = wiring::open_store(config).await?;
    let key = wiring::file_key(&store).await?;
    wiring::services(&store, config, key)
}
