use tidings_kernel::{AppId, DeviceSn};

use super::Users;
use crate::UserError;
use crate::model::{App, AppCredentials, AppUpdate, Secret, TokenHash, TokenRecord};

impl Users {
    /// Creates an app with a fresh id, admin token, app key and master secret. The secrets are
    /// returned once; only their hashes are stored.
    ///
    /// # Errors
    /// [`UserError::InvalidInput`] for an empty or over-long name.
    pub async fn create_app(&self, name: &str) -> Result<AppCredentials, UserError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(UserError::invalid("app name must be 1 to 64 characters"));
        }
        let now = self.deps.clock.now();
        let id = AppId::parse(&Secret::lowercase(12)).map_err(|e| anyhow::anyhow!(e))?;
        let master_secret = Secret::alphanumeric(24);
        let app = App {
            id,
            name: name.to_owned(),
            app_key: Secret::lowercase(24),
            master_secret_hash: Secret::hash_of(&master_secret),
            registration_open: true,
            user_limit: 0,
            created_at: now,
        };
        let admin_token = Secret::alphanumeric(43);
        let record = admin_token_record(&app.id, &admin_token, now);
        self.deps.apps.create_app(&app, &record).await?;
        Ok(AppCredentials {
            app,
            admin_token,
            master_secret,
        })
    }

    /// Every app, oldest first.
    ///
    /// # Errors
    /// [`UserError::Unknown`] on storage failure.
    pub async fn list_apps(&self) -> Result<Vec<App>, UserError> {
        Ok(self.deps.apps.list_apps().await?)
    }

    /// # Errors
    /// [`UserError::AppNotFound`] when there is no such app.
    pub async fn find_app(&self, id: &AppId) -> Result<App, UserError> {
        self.deps
            .apps
            .find_app(id)
            .await?
            .ok_or(UserError::AppNotFound)
    }

    /// Mints another admin token for an app; it is returned once and stored hashed.
    ///
    /// # Errors
    /// [`UserError::AppNotFound`] when there is no such app.
    pub async fn mint_admin_token(&self, id: &AppId) -> Result<String, UserError> {
        let app = self.find_app(id).await?;
        let token = Secret::alphanumeric(43);
        let record = admin_token_record(&app.id, &token, self.deps.clock.now());
        self.deps.tokens.insert_token(&record).await?;
        Ok(token)
    }

    /// Revokes one admin token of an app.
    ///
    /// # Errors
    /// [`UserError::AppNotFound`]; [`UserError::InvalidInput`] when the app has no such token.
    pub async fn revoke_admin_token(&self, id: &AppId, token: &str) -> Result<(), UserError> {
        let app = self.find_app(id).await?;
        if self
            .deps
            .tokens
            .revoke_admin_token(&app.id, &TokenHash::of(token))
            .await?
        {
            Ok(())
        } else {
            Err(UserError::invalid("the app has no such admin token"))
        }
    }

    /// Changes an app's settings.
    ///
    /// # Errors
    /// [`UserError::AppNotFound`]; [`UserError::InvalidInput`] for an empty name or a
    /// negative user limit.
    pub async fn update_app(&self, id: &AppId, update: AppUpdate) -> Result<App, UserError> {
        let mut app = self.find_app(id).await?;
        if let Some(name) = update.name {
            let name = name.trim().to_owned();
            if name.is_empty() || name.chars().count() > 64 {
                return Err(UserError::invalid("app name must be 1 to 64 characters"));
            }
            app.name = name;
        }
        if let Some(open) = update.registration_open {
            app.registration_open = open;
        }
        if let Some(limit) = update.user_limit {
            if limit < 0 {
                return Err(UserError::invalid("user limit must be 0 (none) or more"));
            }
            app.user_limit = limit;
        }
        self.deps.apps.update_app(&app).await?;
        Ok(app)
    }
}

fn admin_token_record(app: &AppId, token: &str, now: tidings_kernel::Timestamp) -> TokenRecord {
    TokenRecord {
        hash: TokenHash::of(token),
        app: app.clone(),
        user: None,
        device: DeviceSn::NONE,
        expires_at: None,
        created_at: now,
    }
}
