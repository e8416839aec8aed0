use tidings_kernel::{AppId, DeviceSn, Timestamp, UserId};

use super::Users;
use crate::UserError;
use crate::model::{DeviceGuid, Platform, Secret, TokenHash, TokenRecord, User};
use crate::ports::DeviceLogin;

/// How a login names its user (`/token/user`, `/token/id`, `/token/login`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginBy {
    Username(String),
    UserId(UserId),
    /// A username, mobile number or e-mail address.
    LoginName(String),
}

/// The device a login comes from. Without a `guid` the token belongs to no particular
/// device (device serial number 0).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceInfo {
    pub guid: Option<String>,
    /// A MaxIM platform code (1–6); guessed from `user_agent` when absent.
    pub platform: Option<i64>,
    pub user_agent: String,
}

/// A user token as handed out. `token` is shown once and stored only hashed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedToken {
    pub token: String,
    pub user_id: UserId,
    pub expire: Timestamp,
    pub device: DeviceSn,
    /// The device's push token, when the login named a device.
    pub push_token: Option<String>,
}

impl Users {
    /// Checks a password and issues a user token bound to the login's device.
    ///
    /// # Errors
    /// [`UserError::AppNotFound`]; [`UserError::UserNotFound`] (10000) when no user has that
    /// name or id (after the same bcrypt work as a real check); [`UserError::WrongPassword`]
    /// (11001); [`UserError::NoPermission`] (10010) for a banned user;
    /// [`UserError::InvalidInput`] for a bad device guid or platform.
    pub async fn login(
        &self,
        app: &AppId,
        by: LoginBy,
        password: &str,
        device: DeviceInfo,
    ) -> Result<IssuedToken, UserError> {
        self.find_app(app).await?;
        let guid = device.guid.as_deref().map(DeviceGuid::parse).transpose()?;
        let platform = device.platform.map(Platform::from_code).transpose()?;
        let user = match by {
            LoginBy::Username(name) => self.deps.users.find_by_username(app, &name).await?,
            LoginBy::UserId(id) => self.deps.users.find_user(app, id).await?,
            LoginBy::LoginName(login) => self.deps.users.find_by_login_name(app, &login).await?,
        };
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let matches = self.deps.hasher.verify(password, hash).await?;
        let user = user.ok_or(UserError::UserNotFound)?;
        if !matches {
            return Err(UserError::WrongPassword);
        }
        if user.banned {
            return Err(UserError::NoPermission("the user is banned".into()));
        }
        let login = guid.map(|guid| DeviceLogin {
            guid: guid.as_str().to_owned(),
            platform: platform
                .unwrap_or_else(|| Platform::guess_from_user_agent(&device.user_agent))
                .code(),
            user_agent: device.user_agent.chars().take(512).collect(),
            new_push_token: Secret::alphanumeric(32),
            now: self.deps.clock.now(),
        });
        self.issue_token(&user, login.as_ref()).await
    }

    /// Registers the device (if any) and issues a token for it.
    pub(crate) async fn issue_token(
        &self,
        user: &User,
        login: Option<&DeviceLogin>,
    ) -> Result<IssuedToken, UserError> {
        let (device, push_token) = match login {
            Some(login) => {
                let device = self
                    .deps
                    .devices
                    .login_device(&user.app, user.id, login)
                    .await?;
                (device.sn, Some(device.push_token))
            }
            None => (DeviceSn::NONE, None),
        };
        let now = self.deps.clock.now();
        let token = Secret::alphanumeric(43);
        let expire = now.plus_secs(self.deps.policy.token_ttl_secs);
        let record = TokenRecord {
            hash: TokenHash::of(&token),
            app: user.app.clone(),
            user: Some(user.id),
            device,
            expires_at: Some(expire),
            created_at: now,
        };
        if !self
            .deps
            .tokens
            .insert_user_token(&record, &user.password_hash)
            .await?
        {
            return Err(UserError::NoPermission(
                "the account changed during login (password, ban or deletion): log in again".into(),
            ));
        }
        Ok(IssuedToken {
            token,
            user_id: user.id,
            expire,
            device,
            push_token,
        })
    }
}
