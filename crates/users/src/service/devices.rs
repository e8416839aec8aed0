use std::collections::HashMap;

use tidings_kernel::{DeviceSn, Principal, UserId};

use super::Users;
use crate::UserError;
use crate::model::{Device, Platform};

/// The most bytes of a vendor token: a Web Push subscription's JSON (endpoint and keys) runs
/// to several hundred.
const MAX_VENDOR_TOKEN: usize = 2_048;
/// The most bytes of a notifier name.
const MAX_NOTIFIER_NAME: usize = 512;

/// At most this many users in one [`Users::device_status`] query.
pub const MAX_STATUS_USERS: usize = 500;

/// One device of a user, as [`Users::device_status`] sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceStatus {
    pub sn: DeviceSn,
    pub platform: Platform,
    /// The device holds a user token that has not expired.
    pub logged_in: bool,
    /// The device is connected to the gateway now.
    pub online: bool,
}

/// The devices of one user named in a [`Users::device_status`] query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserStatus {
    pub username: String,
    /// `None` when no user of the app has that name.
    pub user: Option<UserId>,
    /// By serial number; empty for a user who never logged in.
    pub devices: Vec<DeviceStatus>,
}

impl Users {
    /// The devices of the users with these names (admin only), in the order given: for each
    /// device whether it is logged in and whether it is connected now. A name with no user
    /// answers `user: None`.
    ///
    /// # Errors
    /// [`UserError::NoPermission`] for a user token; [`UserError::InvalidInput`] for an empty
    /// list or one over [`MAX_STATUS_USERS`].
    pub async fn device_status(
        &self,
        principal: &Principal,
        names: &[String],
    ) -> Result<Vec<UserStatus>, UserError> {
        Self::require_admin(principal)?;
        if names.is_empty() || names.len() > MAX_STATUS_USERS {
            return Err(UserError::invalid(format!(
                "list must hold 1 to {MAX_STATUS_USERS} users"
            )));
        }
        let app = &principal.app;
        let ids: HashMap<String, UserId> = self
            .deps
            .users
            .ids_by_username(app, names)
            .await?
            .into_iter()
            .collect();
        let users: Vec<UserId> = ids.values().copied().collect();
        let now = self.deps.clock.now();
        let mut devices: HashMap<UserId, Vec<DeviceStatus>> = HashMap::new();
        for (device, logged_in) in self.deps.devices.device_logins(app, &users, now).await? {
            let online = self
                .deps
                .presence
                .is_device_online(app, device.user, device.sn)
                .await;
            devices.entry(device.user).or_default().push(DeviceStatus {
                sn: device.sn,
                platform: device.platform,
                logged_in,
                online,
            });
        }
        Ok(names
            .iter()
            .map(|name| {
                let user = ids.get(name).copied();
                UserStatus {
                    username: name.clone(),
                    user,
                    devices: user
                        .and_then(|u| devices.get(&u).cloned())
                        .unwrap_or_default(),
                }
            })
            .collect())
    }

    /// The caller's devices.
    ///
    /// # Errors
    /// [`UserError::InvalidInput`] for an admin token without `user_id`.
    pub async fn devices(&self, principal: &Principal) -> Result<Vec<Device>, UserError> {
        let user = Self::acting_user(principal)?;
        Ok(self.deps.devices.list_devices(&principal.app, user).await?)
    }

    /// Removes one of the caller's devices: its tokens are revoked and its connections closed.
    ///
    /// # Errors
    /// [`UserError::DeviceNotFound`] when the caller has no such device.
    pub async fn remove_device(
        &self,
        principal: &Principal,
        sn: DeviceSn,
    ) -> Result<(), UserError> {
        let user = Self::acting_user(principal)?;
        if !self
            .deps
            .devices
            .remove_device(&principal.app, user, sn)
            .await?
        {
            return Err(UserError::DeviceNotFound(sn.0));
        }
        self.tokens_revoked(&principal.app, user, Some(sn)).await;
        Ok(())
    }

    /// Kicks one device (or, with `None`, every device) of the caller: the tokens of those
    /// devices are revoked and their connections closed; the devices stay registered.
    ///
    /// # Errors
    /// [`UserError::DeviceNotFound`] when the caller has no such device.
    pub async fn kick(&self, principal: &Principal, sn: Option<DeviceSn>) -> Result<(), UserError> {
        let user = Self::acting_user(principal)?;
        if let Some(sn) = sn {
            let devices = self.deps.devices.list_devices(&principal.app, user).await?;
            if !devices.iter().any(|d| d.sn == sn) {
                return Err(UserError::DeviceNotFound(sn.0));
            }
        }
        self.deps
            .tokens
            .revoke_user_tokens(&principal.app, user, sn)
            .await?;
        self.tokens_revoked(&principal.app, user, sn).await;
        Ok(())
    }

    /// Whether the caller has at least one live connection.
    ///
    /// # Errors
    /// [`UserError::InvalidInput`] for an admin token without `user_id`.
    pub async fn online(&self, principal: &Principal) -> Result<bool, UserError> {
        let user = Self::acting_user(principal)?;
        Ok(self.deps.presence.is_online(&principal.app, user).await)
    }

    /// Binds a vendor push token (APNs, FCM, Huawei, …; for Web Push the subscription's
    /// JSON) to one of the caller's devices.
    ///
    /// # Errors
    /// [`UserError::DeviceNotFound`]; [`UserError::InvalidInput`] for an empty or over-long
    /// token or notifier name.
    pub async fn bind_vendor_token(
        &self,
        principal: &Principal,
        sn: DeviceSn,
        token: &str,
        notifier: &str,
    ) -> Result<(), UserError> {
        for (name, value, max) in [
            ("device_token", token, MAX_VENDOR_TOKEN),
            ("notifier_name", notifier, MAX_NOTIFIER_NAME),
        ] {
            if value.is_empty() || value.len() > max {
                return Err(UserError::invalid(format!(
                    "{name} must be 1 to {max} bytes"
                )));
            }
        }
        self.set_vendor_token(principal, sn, Some((token.to_owned(), notifier.to_owned())))
            .await
    }

    /// Unbinds the vendor push token of one of the caller's devices.
    ///
    /// # Errors
    /// [`UserError::DeviceNotFound`].
    pub async fn unbind_vendor_token(
        &self,
        principal: &Principal,
        sn: DeviceSn,
    ) -> Result<(), UserError> {
        self.set_vendor_token(principal, sn, None).await
    }

    async fn set_vendor_token(
        &self,
        principal: &Principal,
        sn: DeviceSn,
        token: Option<(String, String)>,
    ) -> Result<(), UserError> {
        let user = Self::acting_user(principal)?;
        if self
            .deps
            .devices
            .set_vendor_token(&principal.app, user, sn, token)
            .await?
        {
            Ok(())
        } else {
            Err(UserError::DeviceNotFound(sn.0))
        }
    }
}
