//! Push tasks: who they are for, what they say, how they are routed, and what came of them.

use tidings_kernel::{AppId, DeviceSn, Timestamp, UserId};

use crate::PushError;

/// The id of a push task (a Snowflake id, as message ids are).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId(pub i64);

/// The most entries an audience list may name (more: [`PushError::AudienceTooLarge`]).
pub const MAX_AUDIENCE: usize = 500;

/// Whom a task is for: every device of the app, or the devices matching any entry of one
/// list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    All,
    /// Devices of users with any of these push tags (`/user/push/tag`).
    Tags(Vec<String>),
    /// Devices of users with any of these push aliases (`/user/push/alias`).
    Aliases(Vec<String>),
    /// Devices of these users.
    Users(Vec<UserId>),
    /// The devices with these push tokens (each device has its own, given at login).
    PushTokens(Vec<String>),
}

impl Audience {
    /// How many entries the audience names (0 for [`Audience::All`]).
    pub fn len(&self) -> usize {
        match self {
            Audience::All => 0,
            Audience::Tags(v) | Audience::Aliases(v) | Audience::PushTokens(v) => v.len(),
            Audience::Users(v) => v.len(),
        }
    }

    /// An audience from its kind's name (`all`, `tag`, `alias`, `user_id`, `push_token`)
    /// and its entries as text.
    ///
    /// # Errors
    /// [`PushError::InvalidInput`] for another kind, or a `user_id` entry that is not an id.
    pub fn from_kind(kind: &str, entries: Vec<String>) -> Result<Self, PushError> {
        Ok(match kind {
            "all" => Audience::All,
            "tag" => Audience::Tags(entries),
            "alias" => Audience::Aliases(entries),
            "push_token" => Audience::PushTokens(entries),
            "user_id" => Audience::Users(
                entries
                    .iter()
                    .map(|e| e.trim().parse().map(UserId))
                    .collect::<Result<_, _>>()
                    .map_err(|_| PushError::invalid("user_id entries must be user ids"))?,
            ),
            other => {
                return Err(PushError::invalid(format!(
                    "the audience is \"all\" or one of tag, alias, user_id, push_token, not {other}"
                )));
            }
        })
    }

    /// The kind's name, as [`Audience::from_kind`] takes it.
    pub fn kind(&self) -> &'static str {
        match self {
            Audience::All => "all",
            Audience::Tags(_) => "tag",
            Audience::Aliases(_) => "alias",
            Audience::Users(_) => "user_id",
            Audience::PushTokens(_) => "push_token",
        }
    }

    /// The entries as text, as [`Audience::from_kind`] takes them.
    pub fn entries(&self) -> Vec<String> {
        match self {
            Audience::All => Vec::new(),
            Audience::Tags(v) | Audience::Aliases(v) | Audience::PushTokens(v) => v.clone(),
            Audience::Users(v) => v.iter().map(|u| u.0.to_string()).collect(),
        }
    }

    /// Whether a list audience names nobody.
    pub fn is_empty(&self) -> bool {
        !matches!(self, Audience::All) && self.len() == 0
    }

    /// Checks the list's size and entries, and drops repeated entries.
    ///
    /// # Errors
    /// [`PushError::AudienceTooLarge`] over [`MAX_AUDIENCE`]; [`PushError::InvalidInput`] for
    /// an empty list or an empty or over-long entry.
    pub fn checked(self) -> Result<Self, PushError> {
        if self.len() > MAX_AUDIENCE {
            return Err(PushError::AudienceTooLarge);
        }
        if self.is_empty() {
            return Err(PushError::invalid("the audience list names nobody"));
        }
        let texts = |v: Vec<String>| -> Result<Vec<String>, PushError> {
            let mut v: Vec<String> = v.into_iter().map(|t| t.trim().to_owned()).collect();
            if v.iter().any(|t| t.is_empty() || t.chars().count() > 128) {
                return Err(PushError::invalid(
                    "audience entries must be 1 to 128 characters",
                ));
            }
            v.sort();
            v.dedup();
            Ok(v)
        };
        Ok(match self {
            Audience::All => Audience::All,
            Audience::Tags(v) => Audience::Tags(texts(v)?),
            Audience::Aliases(v) => Audience::Aliases(texts(v)?),
            Audience::PushTokens(v) => Audience::PushTokens(texts(v)?),
            Audience::Users(mut v) => {
                v.sort();
                v.dedup();
                Audience::Users(v)
            }
        })
    }
}

/// How each device of the audience is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Over the server's own connection when the device is connected, otherwise through its
    /// vendor's push service (the default).
    Combined,
    /// Only over the server's own connection: devices not connected get nothing.
    MxpushOnly,
    /// Only through the vendors' push services.
    OspushOnly,
}

impl Strategy {
    /// `combined`, `mxpush_only` or `ospush_only` (any case); empty is `combined`.
    ///
    /// # Errors
    /// [`PushError::InvalidInput`] for anything else.
    pub fn parse(raw: &str) -> Result<Self, PushError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "combined" => Ok(Self::Combined),
            "mxpush_only" => Ok(Self::MxpushOnly),
            "ospush_only" => Ok(Self::OspushOnly),
            _ => Err(PushError::invalid(
                "distribution_strategy must be combined, mxpush_only or ospush_only",
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Combined => "combined",
            Self::MxpushOnly => "mxpush_only",
            Self::OspushOnly => "ospush_only",
        }
    }
}

/// The highest badge a push sets.
pub const MAX_BADGE: i64 = 99_999;

/// What a push does to each receiving user's app icon badge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Badge {
    /// `"N"`: the badge becomes N.
    Set(i64),
    /// `"+N"`: N is added (empty: `+1`).
    Add(i64),
}

impl Badge {
    /// `"N"` sets, `"+N"` adds, empty adds 1; N is 0 to [`MAX_BADGE`].
    ///
    /// # Errors
    /// [`PushError::InvalidInput`] for anything else.
    pub fn parse(raw: &str) -> Result<Self, PushError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(Self::Add(1));
        }
        let (add, digits) = match raw.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let n = digits
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=MAX_BADGE).contains(n) && digits.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                PushError::invalid(format!(
                    "badge must be N (sets it) or +N (adds N), N from 0 to {MAX_BADGE}"
                ))
            })?;
        Ok(if add { Self::Add(n) } else { Self::Set(n) })
    }

    /// The badge after this push, from the user's badge before it.
    pub fn apply(self, current: i64) -> i64 {
        match self {
            Self::Set(n) => n,
            Self::Add(n) => current.saturating_add(n).clamp(0, MAX_BADGE),
        }
    }

    /// As the request wrote it (`"N"` or `"+N"`).
    pub fn text(self) -> String {
        match self {
            Self::Set(n) => n.to_string(),
            Self::Add(n) => format!("+{n}"),
        }
    }
}

/// What kind of notification a push is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A notification showing the image at `attachment_url`.
    Image,
    /// A pass-through message for the app, never shown in the notification bar; it leaves
    /// the badge alone.
    Cmd,
}

impl Kind {
    /// `text`, `image` or `cmd` (any case); empty is `text`.
    ///
    /// # Errors
    /// [`PushError::InvalidInput`] for anything else.
    pub fn parse(raw: &str) -> Result<Self, PushError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "text" => Ok(Self::Text),
            "image" => Ok(Self::Image),
            "cmd" => Ok(Self::Cmd),
            _ => Err(PushError::invalid(
                "message type must be text, image or cmd",
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Image => "image",
            Self::Cmd => "cmd",
        }
    }
}

/// What a push says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub kind: Kind,
    pub title: String,
    pub body: String,
    /// Shown instead of `body` where a channel can show long text.
    pub big_text: String,
    /// The image of an [`Kind::Image`] push (`http(s)`, `.jpg`, `.jpeg` or `.png`).
    pub attachment_url: String,
    pub badge: Badge,
    /// A JSON object for the app, as text ("" for none).
    pub ext: String,
    /// Not shown before this time (the task is delivered then).
    pub show_begin: Option<Timestamp>,
    /// Not delivered after this time.
    pub show_end: Option<Timestamp>,
}

/// The channels a push travels on, as `/push/task/detail` counts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    Apns,
    Fcm,
    Huawei,
    Xiaomi,
    Oppo,
    Vivo,
    Flyme,
    /// The server's own connections (MaxIM calls its channel "mxpush"): a `push` frame on
    /// each connected device's WebSocket.
    Mxpush,
    /// Web Push (RFC 8030) to browsers' push services: a Tidings addition to MaxIM's
    /// channels.
    WebPush,
}

impl Channel {
    pub const ALL: [Channel; 9] = [
        Channel::Apns,
        Channel::Fcm,
        Channel::Huawei,
        Channel::Xiaomi,
        Channel::Oppo,
        Channel::Vivo,
        Channel::Flyme,
        Channel::Mxpush,
        Channel::WebPush,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Channel::Apns => "apns",
            Channel::Fcm => "fcm",
            Channel::Huawei => "huawei",
            Channel::Xiaomi => "xiaomi",
            Channel::Oppo => "oppo",
            Channel::Vivo => "vivo",
            Channel::Flyme => "flyme",
            Channel::Mxpush => "mxpush",
            Channel::WebPush => "webpush",
        }
    }

    /// The channel of a name from [`Channel::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// What came of a task on one channel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Devices the task was routed to on the channel.
    pub target: i64,
    /// Pushes handed to the channel.
    pub sent: i64,
    /// Pushes the channel confirmed (for mxpush: written to the device's connection).
    pub received: i64,
}

impl Counts {
    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }
}

/// A task's counts on every channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskDetail {
    pub task: TaskId,
    /// Indexed like [`Channel::ALL`].
    pub counts: [Counts; 9],
}

impl TaskDetail {
    pub fn new(task: TaskId) -> Self {
        Self {
            task,
            counts: [Counts::default(); 9],
        }
    }

    pub fn on(&self, channel: Channel) -> Counts {
        self.counts[channel as usize]
    }

    pub fn on_mut(&mut self, channel: Channel) -> &mut Counts {
        &mut self.counts[channel as usize]
    }
}

/// A push task as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    pub id: TaskId,
    pub app: AppId,
    /// Repeating a request id of the app answers this task and sends nothing.
    pub request_id: Option<String>,
    pub audience: Audience,
    pub strategy: Strategy,
    pub notification: Notification,
    pub created_at: Timestamp,
}

/// One device of a task's audience, with its user's badge before the task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub user: UserId,
    pub device: DeviceSn,
    pub badge: i64,
    /// The vendor token bound with `/user/token/bind`, if any.
    pub vendor: Option<VendorAddress>,
}

/// Where a vendor reaches a device: the app's notifier (credentials) the device named, and
/// the device token the vendor gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorAddress {
    pub notifier: String,
    pub token: String,
}

/// A vendor's push service an app can configure credentials for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    Apns,
    Fcm,
    /// Web Push with the app's VAPID key: browsers' push services.
    WebPush,
}

impl Provider {
    pub const ALL: [Provider; 3] = [Provider::Apns, Provider::Fcm, Provider::WebPush];

    /// `/push/certificate`'s `provider`: 1 APNs, 7 FCM, and 8 Web Push, a Tidings addition
    /// (2–6, the Chinese vendors, are not served).
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            1 => Some(Self::Apns),
            7 => Some(Self::Fcm),
            8 => Some(Self::WebPush),
            _ => None,
        }
    }

    pub fn channel(self) -> Channel {
        match self {
            Self::Apns => Channel::Apns,
            Self::Fcm => Channel::Fcm,
            Self::WebPush => Channel::WebPush,
        }
    }

    /// The name of the provider, and of its notifier (the `notifier_name` devices bind their
    /// tokens with).
    pub fn name(self) -> &'static str {
        match self {
            Self::Apns => "apns",
            Self::Fcm => "fcm",
            Self::WebPush => "webpush",
        }
    }
}

/// What an app has configured for one provider, as `/push/certificate` shows it: never a
/// private key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notifier {
    pub provider: Provider,
    /// The `notifier_name` devices bind their tokens with.
    pub name: String,
    /// APNs: the bundle id (topic); FCM: the project id; Web Push: the VAPID subject (a
    /// `mailto:` or `https:` contact).
    pub app_id: String,
    /// APNs: the key id; FCM: the service account's e-mail; Web Push: the VAPID public key
    /// (base64url, the `applicationServerKey` browsers subscribe with).
    pub app_key: String,
}

/// Where the delivery of a task stands: the last device it was delivered to.
pub type Cursor = Option<(UserId, DeviceSn)>;

/// A private key or account file, kept as given: only the vendor adapter reads it, and it is
/// never shown or logged (its `Debug` says nothing of it).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretText(pub String);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretText(…)")
    }
}

/// An app's credentials for one provider, as stored: what the vendor adapter made of the
/// operator's files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    pub notifier: Notifier,
    /// The adapter's own settings (JSON, nothing secret), such as APNs' team id.
    pub settings: String,
    pub secret: SecretText,
}
