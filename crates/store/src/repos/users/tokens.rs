use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use tidings_kernel::{AppId, DeviceSn, UserId};
use tidings_users::RepoError;
use tidings_users::model::{PasswordHash, TokenHash, TokenRecord};
use tidings_users::ports::TokenRepository;

use super::rows::TokenRow;
use crate::Store;
use crate::db::with_conn;
use crate::error::repo_error;
use crate::in_app;
use crate::schema::{access_tokens, users};

#[async_trait]
impl TokenRepository for Store {
    async fn insert_token(&self, token: &TokenRecord) -> Result<(), RepoError> {
        let row = TokenRow::from(token);
        with_conn!(self, |conn| {
            diesel::insert_into(access_tokens::table)
                .values(&row)
                .execute(conn)
                .await
                .map_err(repo_error)?;
        });
        Ok(())
    }

    async fn insert_user_token(
        &self,
        token: &TokenRecord,
        password_hash: &PasswordHash,
    ) -> Result<bool, RepoError> {
        let row = TokenRow::from(token);
        let user = row.user_id.unwrap_or_default();
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                // Holds the user's row (a write lock on SQLite) and checks, in the same
                // statement, that the account is still the one whose password was verified.
                let current = diesel::update(
                    in_app::users(&row.app_id)
                        .filter(users::id.eq(user))
                        .filter(users::password_hash.eq(&password_hash.0))
                        .filter(users::banned.eq(false)),
                )
                .set(users::badge.eq(users::badge))
                .execute(c)
                .await?;
                if current == 0 {
                    return Ok(false);
                }
                diesel::insert_into(access_tokens::table)
                    .values(&row)
                    .execute(c)
                    .await?;
                Ok::<_, diesel::result::Error>(true)
            })
            .await
            .map_err(repo_error)
        })
    }

    async fn revoke_admin_token(&self, app: &AppId, hash: &TokenHash) -> Result<bool, RepoError> {
        let revoked = with_conn!(self, |conn| {
            diesel::delete(
                in_app::access_tokens(app.as_str())
                    .filter(access_tokens::token_hash.eq(&hash.0))
                    .filter(access_tokens::user_id.is_null()),
            )
            .execute(conn)
            .await
            .map_err(repo_error)?
        });
        Ok(revoked > 0)
    }

    async fn find_token(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, RepoError> {
        let row: Option<TokenRow> = with_conn!(self, |conn| {
            access_tokens::table
                .find(&hash.0)
                .select(TokenRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(repo_error)?
        });
        row.map(TokenRecord::try_from).transpose()
    }

    async fn revoke_user_tokens(
        &self,
        app: &AppId,
        user: UserId,
        device: Option<DeviceSn>,
    ) -> Result<u64, RepoError> {
        let revoked = with_conn!(self, |conn| {
            let mut query = diesel::delete(access_tokens::table)
                .filter(access_tokens::app_id.eq(app.as_str()))
                .filter(access_tokens::user_id.eq(user.0))
                .into_boxed();
            if let Some(device) = device {
                query = query.filter(access_tokens::device_sn.eq(device.0));
            }
            query.execute(conn).await.map_err(repo_error)?
        });
        Ok(revoked as u64)
    }
}
