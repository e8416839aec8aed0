use subtle::ConstantTimeEq;
use tidings_kernel::{AppId, Timestamp};

use super::secret::Secret;

/// A tenant. Nothing of one app is ever visible to another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct App {
    pub id: AppId,
    pub name: String,
    /// JMessage-style app key: 24 lowercase alphanumerics (JMessage keys are case-insensitive).
    pub app_key: String,
    /// SHA-256 of the JMessage master secret; the secret itself is shown once, at creation.
    pub master_secret_hash: String,
    /// Whether the open registration endpoints accept new users (`40001` when not).
    pub registration_open: bool,
    /// At most this many users; `0` means no limit (`40002` when reached).
    pub user_limit: i64,
    pub created_at: Timestamp,
}

impl App {
    /// Compares a presented master secret with the stored hash in constant time.
    pub fn master_secret_matches(&self, presented: &str) -> bool {
        let presented = Secret::hash_of(presented);
        presented
            .as_bytes()
            .ct_eq(self.master_secret_hash.as_bytes())
            .into()
    }
}

/// What `create_app` hands out once; only hashes of the secrets are kept.
#[derive(Clone, Debug)]
pub struct AppCredentials {
    pub app: App,
    pub admin_token: String,
    pub master_secret: String,
}

/// A change to an app's settings; `None` keeps the current value.
#[derive(Clone, Debug, Default)]
pub struct AppUpdate {
    pub name: Option<String>,
    pub registration_open: Option<bool>,
    pub user_limit: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_master_secret_matches_only_itself() {
        let app = App {
            id: AppId::parse("a").unwrap_or_else(|_| unreachable!()),
            name: "a".into(),
            app_key: "k".into(),
            master_secret_hash: Secret::hash_of("s3cret"),
            registration_open: true,
            user_limit: 0,
            created_at: Timestamp(0),
        };
        assert!(app.master_secret_matches("s3cret"));
        assert!(!app.master_secret_matches("s3cre"));
        assert!(!app.master_secret_matches(""));
    }
}
