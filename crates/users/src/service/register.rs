use tidings_kernel::{AppId, Principal, UserId};

use super::{BatchItem, Users};
use crate::UserError;
use crate::model::{
    Details, DeviceGuid, Email, Mobile, Password, Platform, Profile, Secret, User, UserSettings,
    Username,
};
use crate::ports::DeviceLogin;

/// A registration. `mobile` and `email` are optional extra login names.
#[derive(Debug)]
pub struct RegisterRequest {
    pub username: Username,
    pub password: Password,
    pub mobile: Option<Mobile>,
    pub email: Option<Email>,
}

/// At most this many users in one `/user/register/batch` call.
pub const MAX_BATCH: usize = 100;

impl Users {
    /// Registers a user through an open endpoint (`/user/register`, `/user/register/v2`).
    ///
    /// # Errors
    /// [`UserError::AppNotFound`] (40000); [`UserError::RegistrationClosed`] (40001);
    /// [`UserError::UserLimitReached`] (40002); [`UserError::UserExists`] (10004) for a taken
    /// username; [`UserError::AlreadyBound`] (10011) for a taken mobile or e-mail.
    pub async fn register(&self, app: &AppId, request: RegisterRequest) -> Result<User, UserError> {
        self.register_with(app, request, None, None).await
    }

    async fn register_with(
        &self,
        app: &AppId,
        request: RegisterRequest,
        alias: Option<String>,
        device: Option<&DeviceLogin>,
    ) -> Result<User, UserError> {
        let found = self.find_app(app).await?;
        if !found.registration_open {
            return Err(UserError::RegistrationClosed);
        }
        self.create_user(app, found.user_limit, request, alias, device)
            .await
    }

    /// Registers a push user: a user with a push alias and, when `device_guid` is given, a
    /// device holding the given push token — all in one write. The `sign` field of the original is not checked:
    /// its algorithm is unpublished (docs/DECISIONS.md).
    ///
    /// # Errors
    /// As [`Self::register`], and [`UserError::InvalidInput`] for a bad alias or device guid.
    pub async fn register_push_user(
        &self,
        app: &AppId,
        request: RegisterRequest,
        alias: Option<String>,
        device_guid: Option<String>,
        push_token: Option<String>,
        user_agent: &str,
    ) -> Result<User, UserError> {
        let alias = alias.map(validate_alias).transpose()?;
        let guid = device_guid.as_deref().map(DeviceGuid::parse).transpose()?;
        let push_token = push_token.map(validate_push_token).transpose()?;
        let device = guid.map(|guid| DeviceLogin {
            guid: guid.as_str().to_owned(),
            platform: Platform::guess_from_user_agent(user_agent).code(),
            user_agent: user_agent.chars().take(512).collect(),
            new_push_token: push_token.unwrap_or_else(|| Secret::alphanumeric(32)),
            now: self.deps.clock.now(),
        });
        self.register_with(app, request, alias, device.as_ref())
            .await
    }

    /// Registers many users (admin only), each on its own: one failing item does not stop
    /// the others. Registration being closed does not apply to admins; the user limit does.
    ///
    /// # Errors
    /// [`UserError::NoPermission`] for a user token; [`UserError::InvalidInput`] for an empty
    /// list or one over [`MAX_BATCH`].
    pub async fn register_batch(
        &self,
        principal: &Principal,
        items: Vec<(String, String)>,
    ) -> Result<Vec<BatchItem>, UserError> {
        Self::require_admin(principal)?;
        if items.is_empty() || items.len() > MAX_BATCH {
            return Err(UserError::invalid(format!(
                "list must hold 1 to {MAX_BATCH} users"
            )));
        }
        let app = self.find_app(&principal.app).await?;
        let mut results = Vec::with_capacity(items.len());
        for (username, password) in items {
            let outcome = async {
                let request = RegisterRequest {
                    username: Username::parse(&username)?,
                    password: Password::parse(&password)?,
                    mobile: None,
                    email: None,
                };
                self.create_user(&app.id, app.user_limit, request, None, None)
                    .await
            }
            .await;
            results.push(match outcome {
                Ok(user) => BatchItem {
                    user_id: Some(user.id),
                    username: Some(username),
                    failure: None,
                },
                Err(UserError::Unknown(e)) => return Err(UserError::Unknown(e)),
                Err(e) => BatchItem {
                    user_id: None,
                    username: Some(username),
                    failure: Some(e.to_string()),
                },
            });
        }
        Ok(results)
    }

    async fn create_user(
        &self,
        app: &AppId,
        limit: i64,
        request: RegisterRequest,
        push_alias: Option<String>,
        device: Option<&DeviceLogin>,
    ) -> Result<User, UserError> {
        if self
            .deps
            .users
            .find_by_username(app, request.username.as_str())
            .await?
            .is_some()
        {
            return Err(UserError::UserExists);
        }
        let password_hash = self.deps.hasher.hash(request.password.expose()).await?;
        let now = self.deps.clock.now();
        let user = User {
            id: UserId(self.deps.ids.next_id()),
            app: app.clone(),
            username: request.username,
            password_hash,
            profile: Profile {
                mobile: request.mobile,
                email: request.email,
                ..Profile::default()
            },
            settings: UserSettings::default(),
            banned: false,
            push_alias,
            badge: 0,
            details: Details::default(),
            created_at: now,
            updated_at: now,
        };
        if !self.deps.users.insert_user(&user, limit, device).await? {
            return Err(UserError::UserLimitReached);
        }
        Ok(user)
    }
}

pub(crate) fn validate_alias(alias: String) -> Result<String, UserError> {
    let alias = alias.trim().to_owned();
    if alias.is_empty() || alias.chars().count() > 64 {
        return Err(UserError::invalid("alias must be 1 to 64 characters"));
    }
    Ok(alias)
}

fn validate_push_token(token: String) -> Result<String, UserError> {
    if token.is_empty() || token.len() > 256 {
        return Err(UserError::invalid("push_token must be 1 to 256 bytes"));
    }
    Ok(token)
}
