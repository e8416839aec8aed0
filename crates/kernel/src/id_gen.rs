//! Time-ordered 64-bit ids, unique across users and groups.

use std::sync::Mutex;

/// Hands out ids that are unique within an installation and roughly ordered by time.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait IdGenerator: Send + Sync {
    fn next_id(&self) -> i64;
}

/// Snowflake layout: 41 bits of milliseconds since 2024-01-01, 10 bits of node id,
/// 12 bits of sequence. Ids are positive and strictly increasing per generator;
/// when the sequence of one millisecond is used up, the generator moves into the next
/// millisecond instead of waiting, so it never blocks and never repeats.
pub struct SnowflakeIds {
    node: i64,
    state: Mutex<(i64, i64)>,
}

const EPOCH_MS: i64 = 1_704_067_200_000;
const NODE_BITS: u32 = 10;
const SEQ_BITS: u32 = 12;
const MAX_SEQ: i64 = (1 << SEQ_BITS) - 1;

impl SnowflakeIds {
    /// A generator for node `node` (only its low 10 bits are used; nodes of one
    /// installation must differ).
    pub fn new(node: u16) -> Self {
        Self {
            node: i64::from(node) & ((1 << NODE_BITS) - 1),
            state: Mutex::new((0, 0)),
        }
    }

    fn next_at(&self, now_ms: i64) -> i64 {
        let mut state = match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (last_ms, seq) = *state;
        let (ms, seq) = if now_ms > last_ms {
            (now_ms, 0)
        } else if seq < MAX_SEQ {
            (last_ms, seq + 1)
        } else {
            (last_ms + 1, 0)
        };
        *state = (ms, seq);
        ((ms - EPOCH_MS) << (NODE_BITS + SEQ_BITS)) | (self.node << SEQ_BITS) | seq
    }
}

impl IdGenerator for SnowflakeIds {
    fn next_id(&self) -> i64 {
        self.next_at(chrono::Utc::now().timestamp_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_positive_unique_and_increasing() {
        let ids = SnowflakeIds::new(1);
        let mut seen = HashSet::new();
        let mut last = 0;
        for _ in 0..20_000 {
            let id = ids.next_id();
            assert!(id > last, "{id} after {last}");
            assert!(seen.insert(id));
            last = id;
        }
    }

    #[test]
    fn a_full_millisecond_rolls_into_the_next_instead_of_repeating() {
        let ids = SnowflakeIds::new(0);
        let now = EPOCH_MS + 5;
        let mut last = 0;
        for _ in 0..=MAX_SEQ + 10 {
            let id = ids.next_at(now);
            assert!(id > last);
            last = id;
        }
        assert_eq!(last >> (NODE_BITS + SEQ_BITS), 6);
    }

    #[test]
    fn a_clock_going_backwards_does_not_repeat_ids() {
        let ids = SnowflakeIds::new(3);
        let a = ids.next_at(EPOCH_MS + 100);
        let b = ids.next_at(EPOCH_MS + 50);
        assert!(b > a);
    }

    #[test]
    fn the_node_id_is_encoded() {
        let ids = SnowflakeIds::new(7);
        let id = ids.next_at(EPOCH_MS + 1);
        assert_eq!((id >> SEQ_BITS) & 0x3ff, 7);
    }
}
