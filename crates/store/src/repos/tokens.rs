use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use tidings_kernel::{AppId, DeviceSn, UserId};
use tidings_users::RepoError;
use tidings_users::model::{TokenHash, TokenRecord};
use tidings_users::ports::TokenRepository;

use crate::Store;
use crate::db::with_conn;
use crate::error::repo_error;
use crate::rows::TokenRow;
use crate::schema::access_tokens;

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
