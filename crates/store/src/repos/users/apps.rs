use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use tidings_kernel::AppId;
use tidings_users::RepoError;
use tidings_users::model::{App, TokenRecord};
use tidings_users::ports::AppRepository;

use super::rows::{AppRow, TokenRow};
use crate::Store;
use crate::db::with_conn;
use crate::error::repo_error;
use crate::schema::{access_tokens, apps};

#[async_trait]
impl AppRepository for Store {
    async fn create_app(&self, app: &App, admin_token: &TokenRecord) -> Result<(), RepoError> {
        let (app_row, token_row) = (AppRow::from(app), TokenRow::from(admin_token));
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                diesel::insert_into(apps::table)
                    .values(&app_row)
                    .execute(c)
                    .await?;
                diesel::insert_into(access_tokens::table)
                    .values(&token_row)
                    .execute(c)
                    .await?;
                Ok::<_, diesel::result::Error>(())
            })
            .await
            .map_err(repo_error)
        })
    }

    async fn find_app(&self, id: &AppId) -> Result<Option<App>, RepoError> {
        let row: Option<AppRow> = with_conn!(self, |conn| {
            apps::table
                .find(id.as_str())
                .select(AppRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(repo_error)?
        });
        row.map(App::try_from).transpose()
    }

    async fn find_app_by_key(&self, app_key: &str) -> Result<Option<App>, RepoError> {
        let row: Option<AppRow> = with_conn!(self, |conn| {
            apps::table
                .filter(apps::app_key.eq(app_key))
                .select(AppRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(repo_error)?
        });
        row.map(App::try_from).transpose()
    }

    async fn list_apps(&self) -> Result<Vec<App>, RepoError> {
        let rows: Vec<AppRow> = with_conn!(self, |conn| {
            apps::table
                .order((apps::created_at, apps::id))
                .select(AppRow::as_select())
                .load(conn)
                .await
                .map_err(repo_error)?
        });
        rows.into_iter().map(App::try_from).collect()
    }

    async fn update_app(&self, app: &App) -> Result<(), RepoError> {
        let row = AppRow::from(app);
        with_conn!(self, |conn| {
            diesel::update(apps::table.find(app.id.as_str()))
                .set((
                    apps::name.eq(&row.name),
                    apps::registration_open.eq(row.registration_open),
                    apps::user_limit.eq(row.user_limit),
                ))
                .execute(conn)
                .await
                .map_err(repo_error)?;
        });
        Ok(())
    }
}
