//! The `tidings` command line.

use clap::{Args, Parser, Subcommand, ValueEnum};
use tidings_kernel::AppId;
use tidings_messaging::webhooks::Callback;
use tidings_users::model::AppUpdate;

use crate::Config;
use crate::bootstrap::CredentialsFile;

/// Tidings: an instant-messaging server that speaks the MaxIM and JMessage server APIs.
#[derive(Parser, Debug)]
#[command(name = "tidings", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the APIs (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage apps (tenants).
    #[command(subcommand)]
    App(AppCommand),
}

#[derive(Subcommand, Debug)]
pub enum AppCommand {
    /// Create an app and print its app_id, admin token, app key and master secret (shown once).
    Create {
        #[arg(long)]
        name: String,
        /// Print one JSON object on the last line instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List apps.
    List,
    /// Mint another admin token for an app (shown once).
    Token { app_id: String },
    /// Revoke one admin token of an app.
    RevokeToken { app_id: String, token: String },
    /// Change an app's settings.
    Update(Box<UpdateArgs>),
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    pub app_id: String,
    /// A new display name.
    #[arg(long)]
    pub name: Option<String>,
    /// Whether the open registration endpoints accept new users.
    #[arg(long, value_enum)]
    pub registration: Option<Registration>,
    /// The most users the app may have; 0 for no limit.
    #[arg(long)]
    pub user_limit: Option<i64>,
    /// POST every message of the app to this URL (http or https), signed with
    /// `--message-callback-secret`.
    #[arg(long, requires = "message_callback_secret")]
    pub message_callback_url: Option<String>,
    /// The secret whose HMAC-SHA256 of each body is sent in the `signature` header.
    #[arg(long, requires = "message_callback_url")]
    pub message_callback_secret: Option<String>,
    /// Stop posting messages to the callback.
    #[arg(long, conflicts_with = "message_callback_url")]
    pub no_message_callback: bool,
    /// APNs credentials: the `.p8` key file (token authentication), with `--apns-key-id`,
    /// `--apns-team-id` and `--apns-topic`. Devices bind their tokens with
    /// `notifier_name` `apns`.
    #[arg(long, requires_all = ["apns_key_id", "apns_team_id", "apns_topic"])]
    pub apns_key_file: Option<std::path::PathBuf>,
    /// The APNs key's id (10 characters, from the Apple developer account).
    #[arg(long, requires = "apns_key_file")]
    pub apns_key_id: Option<String>,
    /// The Apple developer team id.
    #[arg(long, requires = "apns_key_file")]
    pub apns_team_id: Option<String>,
    /// The app's bundle id (the `apns-topic`).
    #[arg(long, requires = "apns_key_file")]
    pub apns_topic: Option<String>,
    /// Use APNs' development environment.
    #[arg(long, requires = "apns_key_file")]
    pub apns_sandbox: bool,
    /// FCM credentials: the service account file (JSON) from the Firebase console. Devices
    /// bind their tokens with `notifier_name` `fcm`.
    #[arg(long)]
    pub fcm_service_account: Option<std::path::PathBuf>,
    /// Web Push credentials: the VAPID private key file (a P-256 key as PEM, or the base64url
    /// of its 32 bytes as `web-push generate-vapid-keys` prints it), with
    /// `--webpush-subject`. Browsers subscribe with the public key `tidings` prints and bind
    /// the subscription's JSON with `notifier_name` `webpush`.
    #[arg(long, requires = "webpush_subject")]
    pub webpush_vapid_key: Option<std::path::PathBuf>,
    /// Where push services may contact the operator: a `mailto:` or `https:` URL.
    #[arg(long, requires = "webpush_vapid_key")]
    pub webpush_subject: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Registration {
    Open,
    Closed,
}

/// Runs an `app` subcommand (or `migrate`) against the configured database.
///
/// # Errors
/// When the database cannot be opened or the command is refused.
pub async fn run_admin(config: &Config, command: Command) -> anyhow::Result<()> {
    let services = crate::admin_services(config).await?;
    let users = services.users;
    let app_id = |raw: &str| AppId::parse(raw).map_err(|e| anyhow::anyhow!("{raw:?}: {e}"));
    match command {
        Command::Serve => unreachable!("serve is not an admin command"),
        Command::Migrate => println!("migrations are up to date"),
        Command::App(AppCommand::Create { name, json }) => {
            let created = users.create_app(&name).await?;
            let file = CredentialsFile::from(&created);
            if json {
                println!("{}", serde_json::to_string(&file)?);
            } else {
                println!("app_id:        {}", file.app_id);
                println!("name:          {}", file.name);
                println!("admin_token:   {}", file.admin_token);
                println!("app_key:       {}", file.app_key);
                println!("master_secret: {}", file.master_secret);
                println!("(the admin token and master secret are not shown again)");
            }
        }
        Command::App(AppCommand::List) => {
            println!(
                "{:<14} {:<26} {:<13} {:>10}  name",
                "app_id", "app_key", "registration", "user_limit"
            );
            for app in users.list_apps().await? {
                let registration = if app.registration_open {
                    "open"
                } else {
                    "closed"
                };
                println!(
                    "{:<14} {:<26} {:<13} {:>10}  {}",
                    app.id, app.app_key, registration, app.user_limit, app.name
                );
            }
        }
        Command::App(AppCommand::Token { app_id: raw }) => {
            println!("{}", users.mint_admin_token(&app_id(&raw)?).await?);
        }
        Command::App(AppCommand::RevokeToken { app_id: raw, token }) => {
            users.revoke_admin_token(&app_id(&raw)?, &token).await?;
            println!("revoked");
        }
        Command::App(AppCommand::Update(args)) => {
            let id = app_id(&args.app_id)?;
            let callback = match (args.message_callback_url, args.message_callback_secret) {
                (Some(url), Some(secret)) => Some(Some(Callback { url, secret })),
                _ if args.no_message_callback => Some(None),
                _ => None,
            };
            // Checked before anything is written; the update below also refuses an unknown
            // app before the callback is set.
            if let Some(Some(c)) = &callback {
                c.check()?;
            }
            // Vendor credentials are read and checked before anything is written.
            let read = |path: &std::path::Path| {
                std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
            };
            let mut credentials = Vec::new();
            if let Some(path) = &args.apns_key_file {
                let field = |v: &Option<String>| v.clone().unwrap_or_default();
                credentials.push(tidings_vendors::apns::credential(
                    &read(path)?,
                    &field(&args.apns_key_id),
                    &field(&args.apns_team_id),
                    &field(&args.apns_topic),
                    args.apns_sandbox,
                )?);
            }
            if let Some(path) = &args.fcm_service_account {
                credentials.push(tidings_vendors::fcm::credential(&read(path)?)?);
            }
            if let Some(path) = &args.webpush_vapid_key {
                credentials.push(tidings_vendors::webpush::credential(
                    &read(path)?,
                    args.webpush_subject.as_deref().unwrap_or_default(),
                )?);
            }
            let update = AppUpdate {
                name: args.name,
                registration_open: args.registration.map(|r| matches!(r, Registration::Open)),
                user_limit: args.user_limit,
            };
            let app = users.update_app(&id, update).await?;
            for credential in &credentials {
                services.credentials.put_credential(&id, credential).await?;
                let n = &credential.notifier;
                println!(
                    "{} credentials set for {} (notifier_name {:?})",
                    n.provider.name(),
                    n.app_id,
                    n.name
                );
                if n.provider == tidings_push::model::Provider::WebPush {
                    println!("applicationServerKey (VAPID public key): {}", n.app_key);
                }
            }
            if let Some(callback) = callback {
                let set = callback.is_some();
                services.webhooks.set_callback(&id, callback).await?;
                println!("message callback {}", if set { "set" } else { "removed" });
            }
            let registration = if app.registration_open {
                "open"
            } else {
                "closed"
            };
            println!(
                "updated {}: name {:?}, registration {registration}, user_limit {}",
                app.id, app.name, app.user_limit
            );
        }
    }
    Ok(())
}
