use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use tidings_kernel::{AppId, Timestamp, UserId};
use tidings_users::RepoError;
use tidings_users::model::{Details, PasswordHash, ProfileChange, SettingsPatch, User, Username};
use tidings_users::ports::{DeviceLogin, UserRepository};

use super::rows::{DetailsRow, DeviceRow, ProfilePatchRow, SettingsPatchRow, UserRow, user_from};
use crate::Store;
use crate::db::with_conn;
use crate::error::repo_error;
use crate::in_app;
use crate::schema::{
    access_tokens, apps, devices, inbox, user_details, user_open_ids, user_push_tags, users,
};

/// Writes a user's `user_details` row in a transaction: the fields `$row` names (its `None`
/// fields kept) and its `updated_at`, creating the row on the first change. Nothing when
/// the app has no such user (gone, or never its own).
macro_rules! touch_details {
    ($c:expr, $row:expr) => {{
        let exists: i64 = in_app::users(&$row.app_id)
            .filter(users::id.eq($row.user_id))
            .count()
            .get_result($c)
            .await?;
        if exists > 0 {
            diesel::insert_into(user_details::table)
                .values(&$row)
                .on_conflict(user_details::user_id)
                .do_update()
                .set(&$row)
                .execute($c)
                .await?;
        }
    }};
}

/// `UPDATE users SET $changes WHERE app_id = $app AND id = $id`, on either backend.
macro_rules! update_user {
    ($store:expr, $app:expr, $id:expr, $changes:expr) => {{
        with_conn!($store, |conn| {
            diesel::update(in_app::users($app.as_str()).find($id.0))
                .set($changes)
                .execute(conn)
                .await
                .map_err(repo_error)?;
        });
        Ok(())
    }};
}

impl Store {
    async fn find_user_by(
        &self,
        app: &AppId,
        column: LoginColumn,
        value: &str,
    ) -> Result<Option<User>, RepoError> {
        let row: Option<(UserRow, Option<DetailsRow>)> = with_conn!(self, |conn| {
            let query = in_app::users(app.as_str())
                .left_join(user_details::table)
                .select((UserRow::as_select(), Option::<DetailsRow>::as_select()))
                .into_boxed();
            let query = match column {
                LoginColumn::Username => query.filter(users::username.eq(value)),
                LoginColumn::Mobile => query.filter(users::mobile.eq(value)),
                LoginColumn::Email => query.filter(users::email.eq(value)),
            };
            query.first(conn).await.optional().map_err(repo_error)?
        });
        row.map(user_from).transpose()
    }
}

#[derive(Clone, Copy)]
enum LoginColumn {
    Username,
    Mobile,
    Email,
}

#[async_trait]
impl UserRepository for Store {
    async fn insert_user<'a>(
        &self,
        user: &User,
        limit: i64,
        device: Option<&'a DeviceLogin>,
    ) -> Result<bool, RepoError> {
        let row = UserRow::from(user);
        // No row for a user with no details, changed since: it reads as such.
        let details = (user.details != Details::default() || user.updated_at != user.created_at)
            .then(|| DetailsRow::new(&user.app, user.id, &user.details, user.updated_at));
        let device = device.map(|d| DeviceRow {
            app_id: row.app_id.clone(),
            user_id: row.id,
            device_sn: 1,
            device_guid: d.guid.clone(),
            platform: d.platform,
            user_agent: d.user_agent.clone(),
            push_token: d.new_push_token.clone(),
            vendor_token: None,
            notifier_name: None,
            created_at: d.now.0,
            updated_at: d.now.0,
        });
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                if limit > 0 {
                    // Lock the app row (a write lock on SQLite) so concurrent registrations
                    // cannot both pass the count.
                    diesel::update(apps::table.find(&row.app_id))
                        .set(apps::user_limit.eq(apps::user_limit))
                        .execute(c)
                        .await?;
                    let count: i64 = in_app::users(&row.app_id).count().get_result(c).await?;
                    if count >= limit {
                        return Ok(false);
                    }
                }
                diesel::insert_into(users::table)
                    .values(&row)
                    .execute(c)
                    .await?;
                if let Some(details) = &details {
                    diesel::insert_into(user_details::table)
                        .values(details)
                        .execute(c)
                        .await?;
                }
                if let Some(device) = &device {
                    diesel::insert_into(devices::table)
                        .values(device)
                        .execute(c)
                        .await?;
                }
                Ok::<_, diesel::result::Error>(true)
            })
            .await
            .map_err(repo_error)
        })
    }

    async fn find_user(&self, app: &AppId, id: UserId) -> Result<Option<User>, RepoError> {
        let row: Option<(UserRow, Option<DetailsRow>)> = with_conn!(self, |conn| {
            in_app::users(app.as_str())
                .filter(users::id.eq(id.0))
                .left_join(user_details::table)
                .select((UserRow::as_select(), Option::<DetailsRow>::as_select()))
                .first(conn)
                .await
                .optional()
                .map_err(repo_error)?
        });
        row.map(user_from).transpose()
    }

    async fn find_by_username(&self, app: &AppId, name: &str) -> Result<Option<User>, RepoError> {
        self.find_user_by(app, LoginColumn::Username, name).await
    }

    async fn ids_by_username(
        &self,
        app: &AppId,
        names: &[String],
    ) -> Result<Vec<(String, UserId)>, RepoError> {
        let rows: Vec<(String, i64)> = with_conn!(self, |conn| {
            in_app::users(app.as_str())
                .filter(users::username.eq_any(names))
                .select((users::username, users::id))
                .load(conn)
                .await
                .map_err(repo_error)?
        });
        Ok(rows
            .into_iter()
            .map(|(name, id)| (name, UserId(id)))
            .collect())
    }

    async fn find_by_login_name(
        &self,
        app: &AppId,
        login: &str,
    ) -> Result<Option<User>, RepoError> {
        if let Some(user) = self.find_user_by(app, LoginColumn::Username, login).await? {
            return Ok(Some(user));
        }
        if let Some(user) = self.find_user_by(app, LoginColumn::Mobile, login).await? {
            return Ok(Some(user));
        }
        let email = login.to_ascii_lowercase();
        self.find_user_by(app, LoginColumn::Email, &email).await
    }

    async fn list_users(
        &self,
        app: &AppId,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<User>, RepoError> {
        let rows: Vec<(UserRow, Option<DetailsRow>)> = with_conn!(self, |conn| {
            in_app::users(app.as_str())
                .left_join(user_details::table)
                .order(users::id)
                .offset(offset)
                .limit(limit)
                .select((UserRow::as_select(), Option::<DetailsRow>::as_select()))
                .load(conn)
                .await
                .map_err(repo_error)?
        });
        rows.into_iter().map(user_from).collect()
    }

    async fn update_profile(
        &self,
        app: &AppId,
        id: UserId,
        change: &ProfileChange,
        at: Timestamp,
    ) -> Result<(), RepoError> {
        let row = ProfilePatchRow::new(change);
        let details = DetailsRow::new(app, id, &change.details, at);
        let app = app.as_str();
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                if !row.is_empty() {
                    diesel::update(in_app::users(app).find(id.0))
                        .set(&row)
                        .execute(c)
                        .await?;
                }
                touch_details!(c, details);
                Ok::<_, diesel::result::Error>(())
            })
            .await
            .map_err(repo_error)
        })
    }

    async fn update_settings(
        &self,
        app: &AppId,
        id: UserId,
        patch: &SettingsPatch,
    ) -> Result<(), RepoError> {
        let row = SettingsPatchRow::from(patch);
        update_user!(self, app, id, &row)
    }

    async fn update_username(
        &self,
        app: &AppId,
        id: UserId,
        name: &Username,
        at: Timestamp,
    ) -> Result<(), RepoError> {
        let details = DetailsRow::new(app, id, &Details::default(), at);
        let app = app.as_str();
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                diesel::update(in_app::users(app).find(id.0))
                    .set(users::username.eq(name.as_str()))
                    .execute(c)
                    .await?;
                touch_details!(c, details);
                Ok::<_, diesel::result::Error>(())
            })
            .await
            .map_err(repo_error)
        })
    }

    async fn change_password(
        &self,
        app: &AppId,
        id: UserId,
        hash: &PasswordHash,
    ) -> Result<(), RepoError> {
        let app = app.as_str();
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                diesel::update(in_app::users(app).find(id.0))
                    .set(users::password_hash.eq(&hash.0))
                    .execute(c)
                    .await?;
                diesel::delete(in_app::access_tokens(app).filter(access_tokens::user_id.eq(id.0)))
                    .execute(c)
                    .await?;
                Ok::<_, diesel::result::Error>(())
            })
            .await
            .map_err(repo_error)
        })
    }

    async fn set_banned(
        &self,
        app: &AppId,
        ids: &[UserId],
        banned: bool,
    ) -> Result<bool, RepoError> {
        let app = app.as_str();
        let mut ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        ids.sort_unstable();
        ids.dedup();
        let wanted = ids.len() as i64;
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                let changed = diesel::update(in_app::users(app).filter(users::id.eq_any(&ids)))
                    .set(users::banned.eq(banned))
                    .execute(c)
                    .await?;
                if changed as i64 != wanted {
                    return Err(diesel::result::Error::RollbackTransaction);
                }
                if banned {
                    diesel::delete(
                        in_app::access_tokens(app).filter(access_tokens::user_id.eq_any(&ids)),
                    )
                    .execute(c)
                    .await?;
                }
                Ok(true)
            })
            .await
            .or_else(|e| match e {
                diesel::result::Error::RollbackTransaction => Ok(false),
                other => Err(repo_error(other)),
            })
        })
    }

    async fn delete_users(&self, app: &AppId, ids: &[UserId]) -> Result<(), RepoError> {
        let app = app.as_str();
        let ids: Vec<i64> = ids.iter().map(|u| u.0).collect();
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                diesel::delete(
                    in_app::access_tokens(app).filter(access_tokens::user_id.eq_any(&ids)),
                )
                .execute(c)
                .await?;
                diesel::delete(in_app::devices(app).filter(devices::user_id.eq_any(&ids)))
                    .execute(c)
                    .await?;
                diesel::delete(
                    in_app::user_push_tags(app).filter(user_push_tags::user_id.eq_any(&ids)),
                )
                .execute(c)
                .await?;
                diesel::delete(
                    in_app::user_open_ids(app).filter(user_open_ids::user_id.eq_any(&ids)),
                )
                .execute(c)
                .await?;
                // No foreign key cascades the inbox on PostgreSQL (it would cost every send).
                diesel::delete(in_app::inbox(app).filter(inbox::user_id.eq_any(&ids)))
                    .execute(c)
                    .await?;
                // The files the user sent to users, and the user's avatars (a group's chat
                // files and avatar stay with the group): no longer readable.
                crate::repos::files::forget_files!(
                    c,
                    in_app::files(app)
                        .filter(files::uploader.eq_any(&ids))
                        .filter(
                            files::purpose
                                .eq(1)
                                .or(files::purpose.eq(0).and(files::to_type.eq(1))),
                        )
                );
                diesel::delete(in_app::users(app).filter(users::id.eq_any(&ids)))
                    .execute(c)
                    .await?;
                Ok::<_, diesel::result::Error>(())
            })
            .await
            .map_err(repo_error)
        })
    }

    async fn set_push_alias(&self, app: &AppId, id: UserId, alias: &str) -> Result<(), RepoError> {
        update_user!(self, app, id, users::push_alias.eq(alias))
    }

    async fn set_badge(&self, app: &AppId, id: UserId, badge: i64) -> Result<(), RepoError> {
        update_user!(self, app, id, users::badge.eq(badge))
    }

    async fn push_tags(&self, app: &AppId, id: UserId) -> Result<Vec<String>, RepoError> {
        with_conn!(self, |conn| {
            in_app::user_push_tags(app.as_str())
                .filter(user_push_tags::user_id.eq(id.0))
                .order(user_push_tags::tag)
                .select(user_push_tags::tag)
                .load(conn)
                .await
                .map_err(repo_error)
        })
    }

    async fn add_push_tags(
        &self,
        app: &AppId,
        id: UserId,
        tags: &[String],
    ) -> Result<(), RepoError> {
        let app = app.as_str();
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                for tag in tags {
                    diesel::insert_into(user_push_tags::table)
                        .values((
                            user_push_tags::app_id.eq(app),
                            user_push_tags::user_id.eq(id.0),
                            user_push_tags::tag.eq(tag),
                        ))
                        .on_conflict_do_nothing()
                        .execute(c)
                        .await?;
                }
                Ok::<_, diesel::result::Error>(())
            })
            .await
            .map_err(repo_error)
        })
    }

    async fn remove_push_tags(
        &self,
        app: &AppId,
        id: UserId,
        tags: Option<Vec<String>>,
    ) -> Result<(), RepoError> {
        with_conn!(self, |conn| {
            let mut query = diesel::delete(user_push_tags::table)
                .filter(user_push_tags::app_id.eq(app.as_str()))
                .filter(user_push_tags::user_id.eq(id.0))
                .into_boxed();
            if let Some(tags) = &tags {
                query = query.filter(user_push_tags::tag.eq_any(tags));
            }
            query.execute(conn).await.map_err(repo_error)?;
        });
        Ok(())
    }

    async fn bind_open_id(
        &self,
        app: &AppId,
        id: UserId,
        kind: &str,
        open_id: &str,
    ) -> Result<(), RepoError> {
        with_conn!(self, |conn| {
            diesel::insert_into(user_open_ids::table)
                .values((
                    user_open_ids::app_id.eq(app.as_str()),
                    user_open_ids::kind.eq(kind),
                    user_open_ids::open_id.eq(open_id),
                    user_open_ids::user_id.eq(id.0),
                ))
                .execute(conn)
                .await
                .map_err(repo_error)?;
        });
        Ok(())
    }
}
