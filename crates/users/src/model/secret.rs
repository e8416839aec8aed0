use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};
use tidings_kernel::{AppId, DeviceSn, Timestamp, UserId};

/// Random secrets (tokens, keys) and their stored form.
pub struct Secret;

impl Secret {
    /// `len` random ASCII letters and digits from the operating system's generator
    /// (62^43 > 2^256 for access tokens).
    pub fn alphanumeric(len: usize) -> String {
        rand::rng()
            .sample_iter(&Alphanumeric)
            .take(len)
            .map(char::from)
            .collect()
    }

    /// `len` random lowercase letters and digits.
    pub fn lowercase(len: usize) -> String {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = rand::rng();
        (0..len)
            .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
            .collect()
    }

    /// The hex SHA-256 of a secret: what is stored and looked up, never the secret itself.
    pub fn hash_of(secret: &str) -> String {
        hex::encode(Sha256::digest(secret.as_bytes()))
    }
}

/// The stored hash of an access token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenHash(pub String);

impl TokenHash {
    pub fn of(token: &str) -> Self {
        Self(Secret::hash_of(token))
    }
}

/// One issued access token, as stored. Admin tokens have no user and never expire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub hash: TokenHash,
    pub app: AppId,
    pub user: Option<UserId>,
    pub device: DeviceSn,
    pub expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl TokenRecord {
    pub fn is_live_at(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|expiry| now < expiry)
    }
}

/// A bcrypt hash in its modular-crypt text form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordHash(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_the_asked_length_and_alphabet() {
        let s = Secret::alphanumeric(43);
        assert_eq!(s.len(), 43);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
        let k = Secret::lowercase(24);
        assert_eq!(k.len(), 24);
        assert!(
            k.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert_ne!(Secret::alphanumeric(43), s);
    }

    #[test]
    fn token_hashes_are_hex_sha256() {
        assert_eq!(
            TokenHash::of("abc").0,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_token_is_live_until_its_expiry_and_admin_tokens_forever() {
        let mut record = TokenRecord {
            hash: TokenHash::of("t"),
            app: AppId::parse("a").unwrap_or_else(|_| unreachable!()),
            user: None,
            device: DeviceSn::NONE,
            expires_at: None,
            created_at: Timestamp(0),
        };
        assert!(record.is_live_at(Timestamp(i64::MAX)));
        record.expires_at = Some(Timestamp(100));
        assert!(record.is_live_at(Timestamp(99)));
        assert!(!record.is_live_at(Timestamp(100)));
    }
}
