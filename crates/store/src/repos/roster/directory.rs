//! The roster's read view of users.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use tidings_kernel::{AppId, UserId};
use tidings_roster::RepoError;
use tidings_roster::model::UserCard;
use tidings_roster::ports::UserDirectory;

use crate::Store;
use crate::db::with_conn;
use crate::error::roster_error;
use crate::in_app;
use crate::schema::users;

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
struct CardRow {
    id: i64,
    username: String,
    nick_name: String,
    avatar: String,
    description: String,
    public_info: String,
    auth_mode: i64,
    auth_question: String,
    auth_answer: String,
}

impl From<CardRow> for UserCard {
    fn from(r: CardRow) -> Self {
        UserCard {
            id: UserId(r.id),
            username: r.username,
            nick_name: r.nick_name,
            avatar: r.avatar,
            description: r.description,
            public_info: r.public_info,
            auth_mode: r.auth_mode,
            auth_question: r.auth_question,
            auth_answer: r.auth_answer,
        }
    }
}

#[derive(Clone, Copy)]
enum Key<'a> {
    Id(i64),
    Name(&'a str),
    Mobile(&'a str),
}

impl Store {
    async fn card(&self, app: &AppId, key: Key<'_>) -> Result<Option<UserCard>, RepoError> {
        let row: Option<CardRow> = with_conn!(self, |conn| {
            let query = in_app::users(app.as_str())
                .select(CardRow::as_select())
                .into_boxed();
            let query = match key {
                Key::Id(id) => query.filter(users::id.eq(id)),
                Key::Name(name) => query.filter(users::username.eq(name)),
                Key::Mobile(mobile) => query.filter(users::mobile.eq(mobile)),
            };
            query.first(conn).await.optional().map_err(roster_error)?
        });
        Ok(row.map(UserCard::from))
    }
}

#[async_trait]
impl UserDirectory for Store {
    async fn user(&self, app: &AppId, id: UserId) -> Result<Option<UserCard>, RepoError> {
        self.card(app, Key::Id(id.0)).await
    }

    async fn user_by_name(
        &self,
        app: &AppId,
        username: &str,
    ) -> Result<Option<UserCard>, RepoError> {
        self.card(app, Key::Name(username)).await
    }

    async fn user_by_mobile(
        &self,
        app: &AppId,
        mobile: &str,
    ) -> Result<Option<UserCard>, RepoError> {
        self.card(app, Key::Mobile(mobile)).await
    }

    async fn users(&self, app: &AppId, ids: &[UserId]) -> Result<Vec<UserCard>, RepoError> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        let rows: Vec<CardRow> = with_conn!(self, |conn| {
            in_app::users(app.as_str())
                .filter(users::id.eq_any(&ids))
                .order(users::id)
                .select(CardRow::as_select())
                .load(conn)
                .await
                .map_err(roster_error)?
        });
        Ok(rows.into_iter().map(UserCard::from).collect())
    }
}
