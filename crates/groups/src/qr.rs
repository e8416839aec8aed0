//! QR invitations: `qr_info` is `<group id>.<expiry ms>.<hex HMAC-SHA256>` under the group's
//! own secret key, so nobody without the key can forge or extend one.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use tidings_kernel::{GroupId, Timestamp};

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &str, group: GroupId, expires_at: Timestamp) -> Vec<u8> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match HmacSha256::new_from_slice(key.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(format!("{}.{}", group.0, expires_at.0).as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Signs an invitation into `group` valid until `expires_at`.
pub(crate) fn sign(key: &str, group: GroupId, expires_at: Timestamp) -> String {
    format!(
        "{}.{}.{}",
        group.0,
        expires_at.0,
        hex::encode(mac(key, group, expires_at))
    )
}

/// The group and expiry a `qr_info` claims, before its signature is checked.
pub(crate) fn parse(qr_info: &str) -> Option<(GroupId, Timestamp, Vec<u8>)> {
    let mut parts = qr_info.trim().splitn(3, '.');
    let group = parts.next()?.parse().ok()?;
    let expires = parts.next()?.parse().ok()?;
    let signature = hex::decode(parts.next()?).ok()?;
    Some((GroupId(group), Timestamp(expires), signature))
}

/// Whether `signature` is the group key's signature of (group, expiry), in constant time.
pub(crate) fn verify(key: &str, group: GroupId, expires_at: Timestamp, signature: &[u8]) -> bool {
    mac(key, group, expires_at).ct_eq(signature).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_invitation_verifies_and_a_changed_one_does_not() {
        let info = sign("key", GroupId(42), Timestamp(1_000));
        let (group, expires, signature) = parse(&info).unwrap_or_else(|| unreachable!("parses"));
        assert_eq!((group, expires), (GroupId(42), Timestamp(1_000)));
        assert!(verify("key", group, expires, &signature));
        assert!(!verify("other-key", group, expires, &signature));
        assert!(!verify("key", GroupId(43), expires, &signature));
        assert!(!verify("key", group, Timestamp(2_000), &signature));
    }

    #[test]
    fn malformed_invitations_do_not_parse() {
        for bad in ["", "1.2", "x.2.ab", "1.y.ab", "1.2.zz"] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
