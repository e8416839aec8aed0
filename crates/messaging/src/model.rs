//! Messages, deliveries and conversations.

use tidings_kernel::{GroupId, Timestamp, UserId};

use crate::MessageError;

/// Who a message goes to. User ids and group ids share one id space, so a conversation id
/// names either.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    User(UserId),
    Group(GroupId),
}

impl Target {
    pub fn id(self) -> i64 {
        match self {
            Self::User(u) => u.0,
            Self::Group(g) => g.0,
        }
    }
}

/// What a message carries, as MaxIM numbers it: contents 0–7, operations 9–12 (which act on
/// the message `related_mid`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentType {
    Text = 0,
    Image = 1,
    Audio = 2,
    Video = 3,
    File = 4,
    Location = 5,
    Command = 6,
    Forward = 7,
    ReadAck = 9,
    Recall = 10,
    Append = 11,
    Replace = 12,
}

impl ContentType {
    /// # Errors
    /// [`MessageError::InvalidInput`] for 8, negatives and anything above 12.
    pub fn from_code(code: i64) -> Result<Self, MessageError> {
        Ok(match code {
            0 => Self::Text,
            1 => Self::Image,
            2 => Self::Audio,
            3 => Self::Video,
            4 => Self::File,
            5 => Self::Location,
            6 => Self::Command,
            7 => Self::Forward,
            9 => Self::ReadAck,
            10 => Self::Recall,
            11 => Self::Append,
            12 => Self::Replace,
            _ => {
                return Err(MessageError::invalid(
                    "content_type must be 0 to 7 or 9 to 12",
                ));
            }
        })
    }

    pub fn code(self) -> i64 {
        self as i64
    }

    /// Whether this is an operation on another message rather than content.
    pub fn is_operation(self) -> bool {
        self.code() >= 9
    }

    /// The name the history shows (`ctype`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "TEXT",
            Self::Image => "IMAGE",
            Self::Audio => "AUDIO",
            Self::Video => "VIDEO",
            Self::File => "FILE",
            Self::Location => "LOCATION",
            Self::Command => "COMMAND",
            Self::Forward => "FORWARD",
            Self::ReadAck => "READ_ACK",
            Self::Recall => "RECALL",
            Self::Append => "APPEND",
            Self::Replace => "REPLACE",
        }
    }
}

/// A stored message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: i64,
    pub from: UserId,
    pub to: Target,
    pub content_type: ContentType,
    pub content: String,
    /// JSON strings, kept as given.
    pub attachment: String,
    pub config: String,
    pub ext: String,
    /// The message an operation (9–12) acts on; 0 otherwise.
    pub related: i64,
    /// Sent with `/message/notify`.
    pub system: bool,
    /// Recalled: the content is gone from every history.
    pub recalled: bool,
    pub created_at: Timestamp,
}

/// One delivery of a message into a user's inbox: `position` is that user's gapless,
/// strictly increasing sequence number, the key of offline sync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub user: UserId,
    /// 0 for an `online_only` message, which is never stored and has no place in the
    /// sequence.
    pub position: i64,
    pub message: i64,
    /// The conversation as that user sees it.
    pub conversation: i64,
}

/// Who receives a message and in which of their conversations it lands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub user: UserId,
    /// The conversation as that user sees it: the peer for 1:1, the group for groups.
    pub conversation: i64,
    /// The sender's own copy (multi-device sync): it lands already read.
    pub is_sender: bool,
}

/// A message in one user's history, with its state as that user sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryItem {
    pub message: Message,
    pub position: i64,
    pub status: ReadStatus,
}

/// `status` in histories.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadStatus {
    Unread,
    Delivered,
    Read,
}

impl ReadStatus {
    pub fn name(self) -> &'static str {
        match self {
            Self::Unread => "UNREAD",
            Self::Delivered => "DELIVERED",
            Self::Read => "READ",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_are_checked_and_named() {
        assert!(ContentType::from_code(8).is_err());
        assert!(ContentType::from_code(13).is_err());
        assert_eq!(
            ContentType::from_code(7).map(ContentType::name).ok(),
            Some("FORWARD")
        );
        assert!(ContentType::Recall.is_operation());
        assert!(!ContentType::Forward.is_operation());
    }
}
