//! Upload tickets: an [`UploadGrant`] as a URL-safe string, signed with HMAC-SHA256 under the
//! server's key, so that the upload endpoint needs no token and keeps no state until the
//! file arrives.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;
use tidings_kernel::{AppId, GroupId, Timestamp, UserId};

use crate::FileError;
use crate::model::{Conversation, FileType, Purpose, UploadGrant};

/// The secret upload tickets are signed with (at least 32 bytes; shared by every node).
#[derive(Clone)]
pub struct TicketKey(Vec<u8>);

impl TicketKey {
    /// # Errors
    /// When the key is shorter than 32 bytes.
    pub fn new(key: Vec<u8>) -> Result<Self, FileError> {
        if key.len() < 32 {
            return Err(FileError::Unknown(anyhow::anyhow!(
                "the upload ticket key must be at least 32 bytes"
            )));
        }
        Ok(Self(key))
    }

    fn mac(&self, payload: &[u8]) -> Hmac<Sha256> {
        // Any key length is accepted by HMAC; `new` checked it is long enough.
        let mut mac = <Hmac<Sha256> as hmac::digest::KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(payload);
        mac
    }

    pub(crate) fn sign(&self, grant: &UploadGrant) -> String {
        let payload = encode(grant);
        let tag = self.mac(payload.as_bytes()).finalize().into_bytes();
        format!("{}.{}", B64.encode(payload), B64.encode(tag))
    }

    /// The grant a ticket carries, if its signature checks and it has not expired.
    pub(crate) fn verify(&self, ticket: &str, now: Timestamp) -> Result<UploadGrant, FileError> {
        let bad = || FileError::BadTicket("the upload URL is not valid".into());
        let (payload, tag) = ticket.split_once('.').ok_or_else(bad)?;
        let payload = B64.decode(payload).map_err(|_| bad())?;
        let tag = B64.decode(tag).map_err(|_| bad())?;
        // Constant-time comparison of the tag.
        self.mac(&payload).verify_slice(&tag).map_err(|_| bad())?;
        let grant = std::str::from_utf8(&payload)
            .ok()
            .and_then(decode)
            .ok_or_else(bad)?;
        if grant.expires_at <= now.millis() {
            return Err(FileError::BadTicket(
                "the upload URL has expired; ask for a new one".into(),
            ));
        }
        Ok(grant)
    }
}

impl std::fmt::Debug for TicketKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TicketKey(..)")
    }
}

/// A grant as the ticket encodes it: `v1|app|uploader|kind|file_type|to_type|to_id|sign|
/// object|expires_at`, where kind is 0 chat, 1 user avatar, 2 group avatar. No field holds a
/// `|` (app ids, signs and object names are URL-safe).
fn encode(g: &UploadGrant) -> String {
    let (kind, file_type, to_type, to_id) = match g.purpose {
        Purpose::Chat { file_type, to } => match to {
            Conversation::User(u) => (0, file_type.code(), 1, u.0),
            Conversation::Group(gr) => (0, file_type.code(), 2, gr.0),
        },
        Purpose::UserAvatar => (1, 0, 0, 0),
        Purpose::GroupAvatar(gr) => (2, 0, 2, gr.0),
    };
    format!(
        "v1|{}|{}|{kind}|{file_type}|{to_type}|{to_id}|{}|{}|{}",
        g.app.as_str(),
        g.uploader.0,
        g.sign,
        g.object,
        g.expires_at
    )
}

fn decode(payload: &str) -> Option<UploadGrant> {
    let f: Vec<&str> = payload.split('|').collect();
    let [
        version,
        app,
        uploader,
        kind,
        file_type,
        to_type,
        to_id,
        sign,
        object,
        expires_at,
    ] = f.as_slice()
    else {
        return None;
    };
    if *version != "v1" {
        return None;
    }
    let to_id: i64 = to_id.parse().ok()?;
    let file_type = || file_type.parse().ok().and_then(FileType::from_code);
    let purpose = match (*kind, *to_type) {
        ("0", "1") => Purpose::Chat {
            file_type: file_type()?,
            to: Conversation::User(UserId(to_id)),
        },
        ("0", "2") => Purpose::Chat {
            file_type: file_type()?,
            to: Conversation::Group(GroupId(to_id)),
        },
        ("1", _) => Purpose::UserAvatar,
        ("2", _) => Purpose::GroupAvatar(GroupId(to_id)),
        _ => return None,
    };
    Some(UploadGrant {
        app: AppId::parse(app).ok()?,
        uploader: UserId(uploader.parse().ok()?),
        purpose,
        sign: (*sign).to_owned(),
        object: (*object).to_owned(),
        expires_at: expires_at.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> UploadGrant {
        UploadGrant {
            app: AppId::parse("app1").unwrap_or_else(|_| unreachable!()),
            uploader: UserId(7),
            purpose: Purpose::Chat {
                file_type: FileType::Image,
                to: Conversation::Group(GroupId(9)),
            },
            sign: "s1".into(),
            object: "chat/s1".into(),
            expires_at: 2_000,
        }
    }

    fn key() -> TicketKey {
        TicketKey::new(vec![7; 32]).unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn a_signed_grant_comes_back_whole_until_it_expires() {
        let ticket = key().sign(&grant());
        assert!(matches!(key().verify(&ticket, Timestamp(1_999)), Ok(g) if g == grant()));
        assert!(matches!(
            key().verify(&ticket, Timestamp(2_000)),
            Err(FileError::BadTicket(m)) if m.contains("expired")
        ));
    }

    #[test]
    fn a_tampered_or_foreign_ticket_is_refused() {
        let ticket = key().sign(&grant());
        let (payload, tag) = ticket.split_once('.').unwrap_or_default();
        let mut other = grant();
        other.uploader = UserId(8);
        let forged = format!(
            "{}.{tag}",
            key().sign(&other).split('.').next().unwrap_or("")
        );
        assert!(matches!(
            key().verify(&forged, Timestamp(0)),
            Err(FileError::BadTicket(_))
        ));
        let other_key = TicketKey::new(vec![8; 32]).unwrap_or_else(|_| unreachable!());
        assert!(other_key.verify(&ticket, Timestamp(0)).is_err());
        assert!(key().verify(payload, Timestamp(0)).is_err());
        assert!(key().verify("", Timestamp(0)).is_err());
        assert!(TicketKey::new(vec![1; 16]).is_err());
    }
}
