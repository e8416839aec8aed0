//! Reading: conversation history, unread counts, read acknowledgements, deleting a
//! conversation, and catching up after a position.

use tidings_kernel::{GroupId, Principal};

use super::Messaging;
use crate::MessageError;
use crate::model::{HistoryItem, Message, ReadStatus, Target};

/// One page of a conversation's history, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryPage {
    pub items: Vec<HistoryItem>,
    /// `true` when nothing older remains.
    pub is_last: bool,
    /// The `msg_id_start` of the next (older) page.
    pub next_msg_id: i64,
}

impl Messaging {
    /// A conversation (with a user or a group) backwards from `start` (0: the newest), at
    /// most `limit` (1–100, default 20) messages. In a group whose `history_visible` is off
    /// a member sees only what was delivered after joining.
    ///
    /// # Errors
    /// 10002 for a bad limit; 20002 for a group the caller is not in.
    pub async fn history(
        &self,
        principal: &Principal,
        opposite: i64,
        start: i64,
        limit: Option<i64>,
    ) -> Result<HistoryPage, MessageError> {
        let me = Self::me(principal)?;
        let limit = limit.unwrap_or(20);
        if !(1..=100).contains(&limit) {
            return Err(MessageError::invalid("limit must be 1 to 100"));
        }
        let app = &principal.app;
        let before = (start > 0).then_some(start);
        let group = self.deps.audience.group(app, GroupId(opposite), me).await?;
        let read = self.deps.store.read_position(app, me, opposite).await?;
        let mut items = Vec::new();
        match group {
            Some(audience) if audience.sender.is_none() => return Err(MessageError::NotMember),
            Some(audience) if audience.history_visible => {
                let messages = self
                    .deps
                    .store
                    .group_history(app, GroupId(opposite), before, limit + 1)
                    .await?;
                for message in messages {
                    let copy = self.deps.store.copy(app, me, message.id).await?;
                    let position = copy.map_or(0, |(p, _)| p);
                    let status = own_or_read(&message, me, position, read);
                    items.push(HistoryItem {
                        message,
                        position,
                        status,
                    });
                }
            }
            _ => {
                let copies = self
                    .deps
                    .store
                    .history(app, me, opposite, before, limit + 1)
                    .await?;
                for (message, position) in copies {
                    let status = if message.from == me {
                        self.status_for_peer(app, &message).await?
                    } else if position <= read {
                        ReadStatus::Read
                    } else {
                        ReadStatus::Unread
                    };
                    items.push(HistoryItem {
                        message,
                        position,
                        status,
                    });
                }
            }
        }
        let is_last = items.len() as i64 <= limit;
        items.truncate(limit as usize);
        let next_msg_id = items.last().map_or(0, |i| i.message.id);
        Ok(HistoryPage {
            items,
            is_last,
            next_msg_id,
        })
    }

    /// How the receiver of one of my 1:1 messages stands: READ once their read position
    /// covers their copy.
    async fn status_for_peer(
        &self,
        app: &tidings_kernel::AppId,
        message: &Message,
    ) -> Result<ReadStatus, MessageError> {
        let Target::User(peer) = message.to else {
            return Ok(ReadStatus::Delivered);
        };
        let Some((position, conversation)) = self.deps.store.copy(app, peer, message.id).await?
        else {
            return Ok(ReadStatus::Unread);
        };
        let read = self
            .deps
            .store
            .read_position(app, peer, conversation)
            .await?;
        Ok(if position <= read {
            ReadStatus::Read
        } else {
            ReadStatus::Unread
        })
    }

    /// Conversations with unread messages and how many, exactly.
    ///
    /// # Errors
    /// 10002 for an admin token without `user_id`.
    pub async fn unread(&self, principal: &Principal) -> Result<Vec<(i64, i64)>, MessageError> {
        let me = Self::me(principal)?;
        Ok(self.deps.store.unread(&principal.app, me).await?)
    }

    /// Marks a conversation read up to `message`.
    ///
    /// # Errors
    /// 10002 when the caller has no copy of the message in that conversation.
    pub async fn ack(
        &self,
        principal: &Principal,
        conversation: i64,
        message: i64,
    ) -> Result<(), MessageError> {
        let me = Self::me(principal)?;
        let app = &principal.app;
        let (position, actual) = self
            .deps
            .store
            .copy(app, me, message)
            .await?
            .filter(|(_, c)| *c == conversation)
            .ok_or_else(|| MessageError::invalid("no such message in that conversation"))?;
        self.deps.store.mark_read(app, me, actual, position).await?;
        self.deps.events.read(app, me, actual, message).await;
        Ok(())
    }

    /// Removes a conversation from the caller's inbox.
    ///
    /// # Errors
    /// 10002 for an admin token without `user_id`.
    pub async fn delete_conversation(
        &self,
        principal: &Principal,
        conversation: i64,
    ) -> Result<(), MessageError> {
        let me = Self::me(principal)?;
        Ok(self
            .deps
            .store
            .delete_conversation(&principal.app, me, conversation)
            .await?)
    }

    /// Everything delivered to the caller after `position`, in order (at most `limit`,
    /// 1–1000): what a reconnecting device missed. Each item is (message, position,
    /// conversation).
    ///
    /// # Errors
    /// 10002 for a bad position or limit.
    pub async fn since(
        &self,
        principal: &Principal,
        position: i64,
        limit: i64,
    ) -> Result<Vec<(Message, i64, i64)>, MessageError> {
        let me = Self::me(principal)?;
        if position < 0 || !(1..=1000).contains(&limit) {
            return Err(MessageError::invalid(
                "position must be 0 or more and limit 1 to 1000",
            ));
        }
        Ok(self
            .deps
            .store
            .since(&principal.app, me, position, limit)
            .await?)
    }
}

fn own_or_read(
    message: &Message,
    me: tidings_kernel::UserId,
    position: i64,
    read: i64,
) -> ReadStatus {
    if message.from == me || (position > 0 && position <= read) {
        ReadStatus::Read
    } else {
        ReadStatus::Unread
    }
}
