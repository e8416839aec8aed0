//! Notifications of new messages to their receivers' devices that have no connection: the
//! push rules of the receivers' settings, and the notification's text.
//!
//! Each stored message that is not an operation queues a [`MessagePush`] (in the store's
//! send transaction, for apps with vendor credentials); [`crate::Push`] works it: for each
//! receiver the rules below decide, then each device of theirs without a connection and with
//! a vendor token of one of the app's notifiers gets the notification, its badge the
//! receiver's exact unread count.

use tidings_kernel::{AppId, DeviceSn, UserId};

use crate::model::VendorAddress;

/// A message whose receivers may be notified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessagePush {
    pub app: AppId,
    pub message: i64,
}

/// What a message is, for its preview.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    Text,
    Image,
    Audio,
    Video,
    File,
    Location,
    /// An app-level command: never notified.
    Command,
    Forward,
}

/// A stored message, with what its notifications need to know of its sender and receivers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfflineMessage {
    pub id: i64,
    pub from: UserId,
    /// The sender's push nickname, else nickname, else username.
    pub from_name: String,
    /// The group and its name, for a group message.
    pub group: Option<(i64, String)>,
    /// Whether the sender is an admin or the owner of the group.
    pub from_group_admin: bool,
    pub content: Content,
    pub text: String,
    /// `config.mentionAll` and `config.mentionList`.
    pub mention_all: bool,
    pub mentioned: Vec<UserId>,
    /// Everyone who got the message, but its sender.
    pub receivers: Vec<OfflineReceiver>,
}

/// One receiver, with the settings the rules read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfflineReceiver {
    pub user: UserId,
    pub no_push: bool,
    pub no_push_detail: bool,
    /// `no_push_start_hour` and `no_push_end_hour` (UTC; equal: none).
    pub quiet_hours: (i64, i64),
    /// `silence_start_time` and `silence_end_time` (UTC; equal: none): pushed, silently.
    pub silent_hours: (i64, i64),
    /// `no_sounds`: pushed, silently.
    pub no_sounds: bool,
    /// The member's `msg_mute_mode` and `msg_push_mode` (group messages; 0 otherwise).
    pub group_mute_mode: i64,
    pub group_push_mode: i64,
    /// The receiver muted the sender (`mute_notification` of their roster entry).
    pub friend_muted: bool,
    /// The receiver's unread messages, this one included: the badge.
    pub unread: i64,
    /// Devices with a vendor token.
    pub devices: Vec<(DeviceSn, VendorAddress)>,
}

/// A notification's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preview {
    pub title: String,
    pub body: String,
    /// Whether the device may play a sound: not with `no_sounds` or in silence hours.
    pub sound: bool,
}

/// What `no_push_detail` shows instead of the sender and text.
pub const HIDDEN_TITLE: &str = "New message";
pub const HIDDEN_BODY: &str = "You have a new message";
/// The most characters of a text a preview shows.
const PREVIEW_CHARS: usize = 100;

/// Whether `r` is notified of `m` at `hour` (0–23, UTC), and with what text.
pub fn notification(m: &OfflineMessage, r: &OfflineReceiver, hour: i64) -> Option<Preview> {
    if m.content == Content::Command || r.no_push || quiet(r.quiet_hours, hour) {
        return None;
    }
    if m.group.is_none() && r.friend_muted {
        return None;
    }
    if m.group.is_some() {
        let mentioned = m.mention_all || m.mentioned.contains(&r.user);
        let pushed = match r.group_push_mode {
            1 => false,
            2 => m.from_group_admin || mentioned,
            3 => m.from_group_admin,
            4 => mentioned,
            _ => true,
        };
        if r.group_mute_mode != 0 || !pushed {
            return None;
        }
    }
    let sound = !r.no_sounds && !quiet(r.silent_hours, hour);
    if r.no_push_detail {
        return Some(Preview {
            title: HIDDEN_TITLE.into(),
            body: HIDDEN_BODY.into(),
            sound,
        });
    }
    let preview = match m.content {
        Content::Text => {
            let mut text: String = m.text.chars().take(PREVIEW_CHARS).collect();
            if m.text.chars().count() > PREVIEW_CHARS {
                text.push('…');
            }
            text
        }
        Content::Image => "[Image]".into(),
        Content::Audio => "[Voice]".into(),
        Content::Video => "[Video]".into(),
        Content::File => "[File]".into(),
        Content::Location => "[Location]".into(),
        Content::Forward => "[Forwarded messages]".into(),
        Content::Command => return None,
    };
    Some(match &m.group {
        Some((_, name)) => Preview {
            title: name.clone(),
            body: format!("{}: {preview}", m.from_name),
            sound,
        },
        None => Preview {
            title: m.from_name.clone(),
            body: preview,
            sound,
        },
    })
}

/// Whether `hour` is within the quiet hours `[start, end)`, which may wrap midnight.
fn quiet((start, end): (i64, i64), hour: i64) -> bool {
    if start == end {
        false
    } else if start < end {
        (start..end).contains(&hour)
    } else {
        hour >= start || hour < end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receiver() -> OfflineReceiver {
        OfflineReceiver {
            user: UserId(2),
            no_push: false,
            no_push_detail: false,
            quiet_hours: (0, 0),
            silent_hours: (0, 0),
            no_sounds: false,
            group_mute_mode: 0,
            group_push_mode: 0,
            friend_muted: false,
            unread: 1,
            devices: vec![],
        }
    }

    fn message(group: bool) -> OfflineMessage {
        OfflineMessage {
            id: 1,
            from: UserId(1),
            from_name: "Ann".into(),
            group: group.then(|| (7, "Hikers".to_owned())),
            from_group_admin: false,
            content: Content::Text,
            text: "see you".into(),
            mention_all: false,
            mentioned: vec![],
            receivers: vec![],
        }
    }

    #[test]
    fn a_direct_message_shows_its_sender_and_text_unless_a_rule_says_no() {
        let m = message(false);
        let r = receiver();
        let p = notification(&m, &r, 12);
        assert_eq!(
            p,
            Some(Preview {
                title: "Ann".into(),
                body: "see you".into(),
                sound: true,
            })
        );
        // Silence hours and no_sounds push without a sound.
        let silent = OfflineReceiver {
            silent_hours: (22, 7),
            ..receiver()
        };
        assert_eq!(notification(&m, &silent, 23).map(|p| p.sound), Some(false));
        assert_eq!(notification(&m, &silent, 12).map(|p| p.sound), Some(true));
        let quiet = OfflineReceiver {
            no_sounds: true,
            ..receiver()
        };
        assert_eq!(notification(&m, &quiet, 12).map(|p| p.sound), Some(false));
        assert!(
            notification(
                &m,
                &OfflineReceiver {
                    no_push: true,
                    ..receiver()
                },
                12
            )
            .is_none()
        );
        assert!(
            notification(
                &m,
                &OfflineReceiver {
                    friend_muted: true,
                    ..receiver()
                },
                12
            )
            .is_none()
        );
        let hidden = notification(
            &m,
            &OfflineReceiver {
                no_push_detail: true,
                ..receiver()
            },
            12,
        );
        assert_eq!(hidden.map(|p| p.body), Some(HIDDEN_BODY.to_owned()));
        // Quiet hours, including ones that wrap midnight.
        let night = OfflineReceiver {
            quiet_hours: (22, 7),
            ..receiver()
        };
        assert!(notification(&m, &night, 23).is_none());
        assert!(notification(&m, &night, 3).is_none());
        assert!(notification(&m, &night, 7).is_some());
        let day = OfflineReceiver {
            quiet_hours: (9, 17),
            ..receiver()
        };
        assert!(notification(&m, &day, 9).is_none());
        assert!(notification(&m, &day, 17).is_some());
        // Previews by content; commands are never notified; long text is cut.
        let image = OfflineMessage {
            content: Content::Image,
            ..message(false)
        };
        assert_eq!(
            notification(&image, &r, 0).map(|p| p.body),
            Some("[Image]".into())
        );
        let command = OfflineMessage {
            content: Content::Command,
            ..message(false)
        };
        assert!(notification(&command, &r, 0).is_none());
        let long = OfflineMessage {
            text: "x".repeat(150),
            ..message(false)
        };
        let body = notification(&long, &r, 0)
            .map(|p| p.body)
            .unwrap_or_default();
        assert_eq!(body.chars().count(), 101);
    }

    #[test]
    fn a_group_message_follows_the_members_mute_and_push_modes() {
        let m = message(true);
        let p = notification(&m, &receiver(), 0);
        assert_eq!(
            p,
            Some(Preview {
                title: "Hikers".into(),
                body: "Ann: see you".into(),
                sound: true,
            })
        );
        // A muted friend does not matter in a group.
        assert!(
            notification(
                &m,
                &OfflineReceiver {
                    friend_muted: true,
                    ..receiver()
                },
                0
            )
            .is_some()
        );
        for mute in [1, 2] {
            let r = OfflineReceiver {
                group_mute_mode: mute,
                ..receiver()
            };
            assert!(notification(&m, &r, 0).is_none(), "mute {mute}");
        }
        let admin = OfflineMessage {
            from_group_admin: true,
            ..message(true)
        };
        let mention = OfflineMessage {
            mentioned: vec![UserId(2)],
            ..message(true)
        };
        let everyone = OfflineMessage {
            mention_all: true,
            ..message(true)
        };
        // (mode, plain, from an admin, mentioning the receiver, mentioning all)
        for (mode, plain, by_admin, mentioned, all) in [
            (0, true, true, true, true),
            (1, false, false, false, false),
            (2, false, true, true, true),
            (3, false, true, false, false),
            (4, false, false, true, true),
        ] {
            let r = OfflineReceiver {
                group_push_mode: mode,
                ..receiver()
            };
            assert_eq!(notification(&m, &r, 0).is_some(), plain, "mode {mode}");
            assert_eq!(
                notification(&admin, &r, 0).is_some(),
                by_admin,
                "mode {mode}"
            );
            assert_eq!(
                notification(&mention, &r, 0).is_some(),
                mentioned,
                "mode {mode}"
            );
            assert_eq!(notification(&everyone, &r, 0).is_some(), all, "mode {mode}");
        }
    }
}
