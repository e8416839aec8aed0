//! [`LocalTokenCache`]: the in-process [`TokenCache`].

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use tidings_kernel::{AppId, DeviceSn, UserId};

use crate::model::{TokenHash, TokenRecord};
use crate::ports::TokenCache;

/// User tokens looked up on this node, each kept at most `max_age` (which bounds how long
/// a token revoked by another node or process still works here), at most `capacity` of
/// them. A `max_age` of zero remembers nothing.
pub struct LocalTokenCache {
    max_age: Duration,
    capacity: usize,
    state: RwLock<State>,
}

#[derive(Default)]
struct State {
    generation: u64,
    tokens: HashMap<String, (TokenRecord, Instant)>,
}

impl LocalTokenCache {
    pub fn new(max_age: Duration, capacity: usize) -> Self {
        Self {
            max_age,
            capacity,
            state: RwLock::new(State::default()),
        }
    }
}

impl TokenCache for LocalTokenCache {
    fn get(&self, hash: &TokenHash) -> Option<TokenRecord> {
        let state = self.state.read().ok()?;
        let (record, at) = state.tokens.get(&hash.0)?;
        (at.elapsed() < self.max_age).then(|| record.clone())
    }

    fn generation(&self) -> u64 {
        self.state.read().map_or(0, |s| s.generation)
    }

    fn remember(&self, record: &TokenRecord, generation: u64) {
        if record.user.is_none() || self.max_age.is_zero() {
            return;
        }
        let Ok(mut state) = self.state.write() else {
            return;
        };
        if state.generation != generation {
            return;
        }
        if state.tokens.len() >= self.capacity {
            let max_age = self.max_age;
            state.tokens.retain(|_, (_, at)| at.elapsed() < max_age);
            if state.tokens.len() >= self.capacity {
                return;
            }
        }
        state
            .tokens
            .insert(record.hash.0.clone(), (record.clone(), Instant::now()));
    }

    fn forget_user(&self, app: &AppId, user: UserId, device: Option<DeviceSn>) {
        // A poisoned lock means a panic elsewhere; forgetting must still happen.
        let mut state = self.state.write().unwrap_or_else(|p| p.into_inner());
        state.generation += 1;
        state.tokens.retain(|_, (r, _)| {
            !(&r.app == app && r.user == Some(user) && device.is_none_or(|d| r.device == d))
        });
    }
}

#[cfg(test)]
mod tests {
    use tidings_kernel::Timestamp;

    use super::*;

    fn record(secret: &str, user: Option<i64>, device: i64) -> TokenRecord {
        TokenRecord {
            hash: TokenHash::of(secret),
            app: AppId::parse("app").unwrap_or_else(|_| unreachable!()),
            user: user.map(UserId),
            device: DeviceSn(device),
            expires_at: None,
            created_at: Timestamp(0),
        }
    }

    fn cache() -> LocalTokenCache {
        LocalTokenCache::new(Duration::from_secs(60), 3)
    }

    #[test]
    fn user_tokens_are_remembered_admin_tokens_never() {
        let cache = cache();
        let (user, admin) = (record("u", Some(1), 1), record("a", None, 0));
        cache.remember(&user, cache.generation());
        cache.remember(&admin, cache.generation());
        assert_eq!(cache.get(&user.hash), Some(user));
        assert_eq!(cache.get(&admin.hash), None);
    }

    #[test]
    fn forgetting_a_device_or_a_user_drops_exactly_those_tokens() {
        let cache = cache();
        let (phone, pad, other) = (
            record("p", Some(1), 1),
            record("t", Some(1), 2),
            record("o", Some(2), 1),
        );
        for r in [&phone, &pad, &other] {
            cache.remember(r, cache.generation());
        }
        let app = phone.app.clone();
        cache.forget_user(&app, UserId(1), Some(DeviceSn(1)));
        assert_eq!(cache.get(&phone.hash), None);
        assert!(cache.get(&pad.hash).is_some() && cache.get(&other.hash).is_some());
        cache.forget_user(&app, UserId(1), None);
        assert_eq!(cache.get(&pad.hash), None);
        assert!(cache.get(&other.hash).is_some());
    }

    #[test]
    fn a_lookup_that_overlapped_a_revocation_is_not_remembered() {
        let cache = cache();
        let r = record("u", Some(1), 1);
        let before = cache.generation();
        // The token is revoked while the lookup that found it was under way.
        cache.forget_user(&r.app, UserId(1), None);
        cache.remember(&r, before);
        assert_eq!(cache.get(&r.hash), None);
    }

    #[test]
    fn nothing_is_kept_beyond_capacity_or_age() {
        let cache = cache();
        for i in 0..5 {
            cache.remember(&record(&format!("u{i}"), Some(i), 1), cache.generation());
        }
        let kept = (0..5)
            .filter(|i| cache.get(&TokenHash::of(&format!("u{i}"))).is_some())
            .count();
        assert_eq!(kept, 3);
        let off = LocalTokenCache::new(Duration::ZERO, 3);
        let r = record("u", Some(1), 1);
        off.remember(&r, off.generation());
        assert_eq!(off.get(&r.hash), None);
    }
}
