//! Stored files and what they are for.

use tidings_kernel::{AppId, GroupId, Timestamp, UserId};

/// MaxIM's `file_type` of a chat file (NOTES.md "Files").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    File = 100,
    AmrVoice = 101,
    Image = 102,
    Video = 103,
    Mp3Voice = 104,
    /// 200–203: a group's shared files.
    SharedFile = 200,
    SharedVoice = 201,
    SharedImage = 202,
    SharedVideo = 203,
}

impl FileType {
    /// The type of a wire code, if it is one.
    pub fn from_code(code: i32) -> Option<Self> {
        Some(match code {
            100 => Self::File,
            101 => Self::AmrVoice,
            102 => Self::Image,
            103 => Self::Video,
            104 => Self::Mp3Voice,
            200 => Self::SharedFile,
            201 => Self::SharedVoice,
            202 => Self::SharedImage,
            203 => Self::SharedVideo,
            _ => return None,
        })
    }

    pub fn code(self) -> i32 {
        self as i32
    }

    /// A group's shared file (200–203): only for groups.
    pub fn is_shared(self) -> bool {
        self.code() >= 200
    }

    pub fn is_image(self) -> bool {
        matches!(self, Self::Image | Self::SharedImage)
    }
}

/// The conversation a chat file belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conversation {
    User(UserId),
    Group(GroupId),
}

/// What a file is for, which decides its size limit and who may read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A file sent in a conversation: readable by its parties.
    Chat {
        file_type: FileType,
        to: Conversation,
    },
    /// A user's avatar: readable by anyone in the app.
    UserAvatar,
    /// A group's avatar: readable by anyone in the app.
    GroupAvatar(GroupId),
}

impl Purpose {
    pub fn is_avatar(self) -> bool {
        !matches!(self, Self::Chat { .. })
    }
}

/// A file record: the object it names and who may read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFile {
    pub id: i64,
    pub app: AppId,
    /// The unguessable name of this record in download URLs (`file_sign`).
    pub sign: String,
    /// The object's name within the app (`object_name` of avatar URLs); several records may
    /// name one object (a forwarded file).
    pub object: String,
    pub purpose: Purpose,
    /// Who uploaded (or forwarded) it; 0 for an admin token.
    pub uploader: UserId,
    pub size: u64,
    /// The media type the uploader declared (`application/octet-stream` when none).
    pub content_type: String,
    /// The file name the uploader gave (may be empty).
    pub name: String,
    pub created_at: Timestamp,
}

impl StoredFile {
    /// The object's key in the file store: the app, then the name within the app.
    pub fn key(&self) -> String {
        object_key(&self.app, &self.object)
    }
}

/// The key of `object` of `app` in the file store.
pub fn object_key(app: &AppId, object: &str) -> String {
    format!("{}/{object}", app.as_str())
}

/// Where an upload will go, as its upload URL carries it (signed, with an expiry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadGrant {
    pub app: AppId,
    pub uploader: UserId,
    pub purpose: Purpose,
    pub sign: String,
    pub object: String,
    /// Milliseconds since the epoch.
    pub expires_at: i64,
}

/// An upload URL's parts: the ticket (signed grant) and what the file will be known as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadSlot {
    pub ticket: String,
    pub grant: UploadGrant,
}

/// What the uploader says of the file beside its bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UploadMeta {
    pub name: String,
    pub content_type: Option<String>,
}

/// Media types a browser may show inline from the API's origin: raster images only (SVG can
/// carry script). Everything else is downloaded as an attachment.
pub const INLINE_TYPES: [&str; 5] = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
];

/// The `Content-Disposition` of a download: `inline` for [`INLINE_TYPES`], else
/// `attachment`, with the file name as RFC 8187 `filename*`.
pub fn disposition(content_type: &str, file_name: &str) -> String {
    let kind = if INLINE_TYPES.contains(&content_type) {
        "inline"
    } else {
        "attachment"
    };
    if file_name.is_empty() {
        return kind.to_owned();
    }
    // RFC 8187 `attr-char`: letters, digits and `!#$&+-.^_`|~`; everything else encoded.
    const ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    let encoded = percent_encoding::utf8_percent_encode(file_name, ATTR_CHAR);
    format!("{kind}; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_raster_images_are_inline_and_names_are_encoded() {
        assert_eq!(disposition("image/png", ""), "inline");
        assert_eq!(
            disposition("image/svg+xml", "a b\".svg"),
            "attachment; filename*=UTF-8''a%20b%22.svg"
        );
        assert_eq!(
            disposition("text/html", "报告.html"),
            "attachment; filename*=UTF-8''%E6%8A%A5%E5%91%8A.html"
        );
    }
}
