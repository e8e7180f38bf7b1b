//! bcrypt costs a third of a second a hash at cost 12, so it never runs on
//! an actor's thread, and at most `max_parallel` hashes run at once: a login
//! storm queues here instead of taking every core from the chat.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// Hashes a password. Blocking: call from a blocking thread or a tool.
pub fn hash_password(password: &str, cost: u32) -> Result<String, String> {
    bcrypt::hash(password, cost).map_err(|e| format!("bcrypt: {e}"))
}

/// Checks a password against a stored hash; a malformed hash is a mismatch.
pub fn verify_password(password: &str, hash: &str) -> bool {
    bcrypt::verify(password, hash).unwrap_or(false)
}

/// The async face: bcrypt on the blocking pool, bounded.
#[derive(Clone)]
pub struct Passwords {
    cost: u32,
    permits: Arc<Semaphore>,
    /// A hash to verify against when the user does not exist, so that an
    /// unknown name costs as long as a wrong password.
    dummy: Arc<String>,
}

impl Passwords {
    /// Blocking (computes the dummy hash): build before the actors start.
    pub fn new(cost: u32, max_parallel: usize) -> Result<Passwords, String> {
        Ok(Passwords {
            cost,
            permits: Arc::new(Semaphore::new(max_parallel.max(1))),
            dummy: Arc::new(hash_password("modchat-dummy-password", cost)?),
        })
    }

    /// One fewer than the cores, at least one: a core stays for the chat.
    pub fn default_parallelism() -> usize {
        std::thread::available_parallelism()
            .map(|n| n.get().saturating_sub(1))
            .unwrap_or(1)
            .max(1)
    }

    pub async fn hash(&self, password: String) -> Result<String, String> {
        let cost = self.cost;
        self.blocking(move || hash_password(&password, cost))
            .await?
    }

    /// `hash` None: the user is unknown; spend the same time and say no.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, String> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| (*self.dummy).clone());
        let ok = self
            .blocking(move || verify_password(&password, &hash))
            .await?;
        Ok(ok && known)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, String> {
        let _permit = self.permits.acquire().await.map_err(|e| e.to_string())?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| format!("password worker failed: {e}"))
    }
}
