use async_trait::async_trait;
use diesel::dsl::max;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use tidings_kernel::{AppId, DeviceSn, Timestamp, UserId};
use tidings_users::RepoError;
use tidings_users::model::Device;
use tidings_users::ports::{DeviceLogin, DeviceRepository};

use super::rows::DeviceRow;
use crate::Store;
use crate::db::with_conn;
use crate::error::repo_error;
use crate::in_app;
use crate::schema::{access_tokens, devices, users};

#[async_trait]
impl DeviceRepository for Store {
    async fn login_device(
        &self,
        app: &AppId,
        user: UserId,
        login: &DeviceLogin,
    ) -> Result<Device, RepoError> {
        let app = app.as_str();
        let row: DeviceRow = with_conn!(self, |conn| {
            conn.transaction(async |c| {
                // Take the user's row lock first (a write lock on SQLite) so that two new
                // devices of one user never race for the same serial number.
                diesel::update(in_app::users(app).find(user.0))
                    .set(users::badge.eq(users::badge))
                    .execute(c)
                    .await?;
                let mine = in_app::devices(app).filter(devices::user_id.eq(user.0));
                let existing: Option<DeviceRow> = mine
                    .filter(devices::device_guid.eq(&login.guid))
                    .select(DeviceRow::as_select())
                    .first(c)
                    .await
                    .optional()?;
                if let Some(mut row) = existing {
                    diesel::update(in_app::devices(app).find((user.0, row.device_sn)))
                        .set((
                            devices::platform.eq(login.platform),
                            devices::user_agent.eq(&login.user_agent),
                            devices::updated_at.eq(login.now.0),
                        ))
                        .execute(c)
                        .await?;
                    row.platform = login.platform;
                    row.user_agent.clone_from(&login.user_agent);
                    row.updated_at = login.now.0;
                    return Ok(row);
                }
                let last: Option<i64> = mine.select(max(devices::device_sn)).first(c).await?;
                let row = DeviceRow {
                    app_id: app.to_owned(),
                    user_id: user.0,
                    device_sn: last.unwrap_or(0) + 1,
                    device_guid: login.guid.clone(),
                    platform: login.platform,
                    user_agent: login.user_agent.clone(),
                    push_token: login.new_push_token.clone(),
                    vendor_token: None,
                    notifier_name: None,
                    created_at: login.now.0,
                    updated_at: login.now.0,
                };
                diesel::insert_into(devices::table)
                    .values(&row)
                    .execute(c)
                    .await?;
                Ok::<_, diesel::result::Error>(row)
            })
            .await
            .map_err(repo_error)?
        });
        Device::try_from(row)
    }

    async fn list_devices(&self, app: &AppId, user: UserId) -> Result<Vec<Device>, RepoError> {
        let rows: Vec<DeviceRow> = with_conn!(self, |conn| {
            in_app::devices(app.as_str())
                .filter(devices::user_id.eq(user.0))
                .order(devices::device_sn)
                .select(DeviceRow::as_select())
                .load(conn)
                .await
                .map_err(repo_error)?
        });
        rows.into_iter().map(Device::try_from).collect()
    }

    async fn device_logins(
        &self,
        app: &AppId,
        users: &[UserId],
        now: Timestamp,
    ) -> Result<Vec<(Device, bool)>, RepoError> {
        let ids: Vec<i64> = users.iter().map(|u| u.0).collect();
        let app = app.as_str();
        let (rows, logged_in): (Vec<DeviceRow>, Vec<(Option<i64>, i64)>) =
            with_conn!(self, |conn| {
                let rows = in_app::devices(app)
                    .filter(devices::user_id.eq_any(&ids))
                    .order((devices::user_id, devices::device_sn))
                    .select(DeviceRow::as_select())
                    .load(conn)
                    .await
                    .map_err(repo_error)?;
                let logged_in = in_app::access_tokens(app)
                    .filter(access_tokens::user_id.eq_any(&ids))
                    .filter(access_tokens::expires_at.gt(now.0))
                    .select((access_tokens::user_id, access_tokens::device_sn))
                    .distinct()
                    .load(conn)
                    .await
                    .map_err(repo_error)?;
                (rows, logged_in)
            });
        let logged_in: std::collections::HashSet<(i64, i64)> = logged_in
            .into_iter()
            .filter_map(|(user, sn)| Some((user?, sn)))
            .collect();
        rows.into_iter()
            .map(|row| {
                let device = Device::try_from(row)?;
                let live = logged_in.contains(&(device.user.0, device.sn.0));
                Ok((device, live))
            })
            .collect()
    }

    async fn remove_device(
        &self,
        app: &AppId,
        user: UserId,
        sn: DeviceSn,
    ) -> Result<bool, RepoError> {
        let app = app.as_str();
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                let removed = diesel::delete(
                    in_app::devices(app)
                        .filter(devices::user_id.eq(user.0))
                        .filter(devices::device_sn.eq(sn.0)),
                )
                .execute(c)
                .await?;
                if removed > 0 {
                    diesel::delete(
                        in_app::access_tokens(app)
                            .filter(access_tokens::user_id.eq(user.0))
                            .filter(access_tokens::device_sn.eq(sn.0)),
                    )
                    .execute(c)
                    .await?;
                }
                Ok::<_, diesel::result::Error>(removed > 0)
            })
            .await
            .map_err(repo_error)
        })
    }

    async fn set_vendor_token(
        &self,
        app: &AppId,
        user: UserId,
        sn: DeviceSn,
        token: Option<(String, String)>,
    ) -> Result<bool, RepoError> {
        let (vendor_token, notifier) = token.unzip();
        let changed = with_conn!(self, |conn| {
            diesel::update(
                in_app::devices(app.as_str())
                    .filter(devices::user_id.eq(user.0))
                    .filter(devices::device_sn.eq(sn.0)),
            )
            .set((
                devices::vendor_token.eq(&vendor_token),
                devices::notifier_name.eq(&notifier),
            ))
            .execute(conn)
            .await
            .map_err(repo_error)?
        });
        Ok(changed > 0)
    }
}
