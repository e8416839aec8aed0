//! MaxIM §8: rosters (friends, applications, blocks, search).

pub(crate) mod applications;
pub(crate) mod blocks;
pub(crate) mod friends;

use serde::Serialize;
use tidings_roster::model::RosterItem;
use utoipa::ToSchema;

use crate::Operation;

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = applications::operations();
    ops.extend(friends::operations());
    ops.extend(blocks::operations());
    ops
}

/// `RosterItemDto`: a user as the caller sees them.
#[derive(Serialize, ToSchema)]
pub struct RosterItemDto {
    pub user_id: i64,
    pub username: String,
    pub nick_name: String,
    pub avatar: String,
    pub description: String,
    pub public_info: String,
    /// How the user accepts friends: 0 anyone, 1 consent, 2 question, 3 nobody.
    pub auth_mode: i64,
    pub auth_question: String,
    /// The caller's alias for the user.
    pub alias: String,
    /// The caller's extension data for the user.
    pub ext: String,
    pub mute_notification: bool,
    /// 0 friend, 1 deleted friend, 2 stranger, 3 blocked by the caller.
    pub relation: i64,
}

impl From<RosterItem> for RosterItemDto {
    fn from(item: RosterItem) -> Self {
        let c = item.card;
        Self {
            user_id: c.id.0,
            username: c.username,
            nick_name: c.nick_name,
            avatar: c.avatar,
            description: c.description,
            public_info: c.public_info,
            auth_mode: c.auth_mode,
            auth_question: c.auth_question,
            alias: item.alias,
            ext: item.ext,
            mute_notification: item.mute_notification,
            relation: item.relation.code(),
        }
    }
}
