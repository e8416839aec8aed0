use async_trait::async_trait;

use crate::model::PasswordHash;
use crate::ports::PasswordHasher;

/// bcrypt on tokio's blocking pool, with a configurable cost (10 in production: about
/// 100 ms a hash on the development machine; tests use 4).
#[derive(Clone)]
pub struct BcryptHasher {
    cost: u32,
    dummy: String,
}

impl BcryptHasher {
    /// # Errors
    /// When `cost` is outside bcrypt's 4–31.
    pub fn new(cost: u32) -> anyhow::Result<Self> {
        let dummy = bcrypt::hash("tidings-dummy-password", cost)?;
        Ok(Self { cost, dummy })
    }
}

#[async_trait]
impl PasswordHasher for BcryptHasher {
    async fn hash(&self, password: &str) -> anyhow::Result<PasswordHash> {
        let (password, cost) = (password.to_owned(), self.cost);
        let hash = tokio::task::spawn_blocking(move || bcrypt::hash(password, cost)).await??;
        Ok(PasswordHash(hash))
    }

    async fn verify(&self, password: &str, hash: Option<PasswordHash>) -> anyhow::Result<bool> {
        let known = hash.is_some();
        let hash = hash.map_or_else(|| self.dummy.clone(), |h| h.0);
        let password = password.to_owned();
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
    async fn an_unknown_user_never_verifies_even_with_the_dummy_password() -> anyhow::Result<()> {
        let hasher = BcryptHasher::new(4)?;
        assert!(!hasher.verify("tidings-dummy-password", None).await?);
        Ok(())
    }
}
