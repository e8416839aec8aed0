use async_trait::async_trait;

use crate::model::PasswordHash;
use crate::ports::PasswordHasher;

/// bcrypt on tokio's blocking pool, with a configurable cost (10 in production: about
/// 100 ms a hash on the development machine; tests use 4). At most one hash per core runs at
/// a time, so a flood of logins queues instead of taking every thread of the blocking pool.
///
/// bcrypt reads at most 72 bytes; a longer password is hashed as the hex SHA-256 of the
/// whole password (64 bytes), so every byte of it counts. A password's length decides which
/// form it takes, the same way at every verification.
#[derive(Clone)]
pub struct BcryptHasher {
    cost: u32,
    dummy: String,
    running: std::sync::Arc<tokio::sync::Semaphore>,
}

/// bcrypt reads at most this many bytes of a password.
const BCRYPT_MAX_BYTES: usize = 72;

/// What bcrypt is given for `password`: itself, or the hex SHA-256 of a longer one.
fn bcrypt_input(password: &str) -> String {
    if password.len() <= BCRYPT_MAX_BYTES {
        password.to_owned()
    } else {
        crate::model::Secret::hash_of(password)
    }
}

impl BcryptHasher {
    /// # Errors
    /// When `cost` is outside bcrypt's 4–31.
    pub fn new(cost: u32) -> anyhow::Result<Self> {
        let dummy = bcrypt::hash("tidings-dummy-password", cost)?;
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Ok(Self {
            cost,
            dummy,
            running: std::sync::Arc::new(tokio::sync::Semaphore::new(cores)),
        })
    }
}

#[async_trait]
impl PasswordHasher for BcryptHasher {
    async fn hash(&self, password: &str) -> anyhow::Result<PasswordHash> {
        let (password, cost) = (bcrypt_input(password), self.cost);
        let _turn = self.running.acquire().await?;
        let hash = tokio::task::spawn_blocking(move || bcrypt::hash(password, cost)).await??;
        Ok(PasswordHash(hash))
    }

    async fn verify(&self, password: &str, hash: Option<PasswordHash>) -> anyhow::Result<bool> {
        // The dummy work is done for an unknown user too, so timing tells nothing.
        let known = hash.is_some();
        let hash = hash.map_or_else(|| self.dummy.clone(), |h| h.0);
        let password = bcrypt_input(password);
        let _turn = self.running.acquire().await?;
        let matches =
            tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash)).await??;
        Ok(known && matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() -> anyhow::Result<()> {
        let hasher = BcryptHasher::new(4)?;
        let hash = hasher.hash("correct horse").await?;
        assert!(hash.0.starts_with("$2"));
        assert!(hasher.verify("correct horse", Some(hash.clone())).await?);
        assert!(!hasher.verify("wrong horse", Some(hash)).await?);
        Ok(())
    }

    #[tokio::test]
    async fn a_longer_password_with_the_same_first_72_bytes_does_not_verify() -> anyhow::Result<()>
    {
        let hasher = BcryptHasher::new(4)?;
        let password = "p".repeat(72);
        let hash = hasher.hash(&password).await?;
        assert!(hasher.verify(&password, Some(hash.clone())).await?);
        assert!(!hasher.verify(&format!("{password}x"), Some(hash)).await?);
        Ok(())
    }

    #[tokio::test]
    async fn long_passwords_count_every_byte() -> anyhow::Result<()> {
        let hasher = BcryptHasher::new(4)?;
        let password = format!("{}-end", "p".repeat(100));
        let hash = hasher.hash(&password).await?;
        assert!(hasher.verify(&password, Some(hash.clone())).await?);
        assert!(
            !hasher
                .verify(&format!("{}-eNd", "p".repeat(100)), Some(hash.clone()))
                .await?
        );
        assert!(!hasher.verify(&"p".repeat(72), Some(hash)).await?);
        Ok(())
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies_even_with_the_dummy_password() -> anyhow::Result<()> {
        let hasher = BcryptHasher::new(4)?;
        assert!(!hasher.verify("tidings-dummy-password", None).await?);
        Ok(())
    }
}
