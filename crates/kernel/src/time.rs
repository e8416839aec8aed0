//! Time as the APIs speak it: milliseconds since the Unix epoch.

/// Milliseconds since 1970-01-01T00:00:00Z. Both databases store it as a `BIGINT`,
/// so it round-trips exactly on SQLite and PostgreSQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn millis(self) -> i64 {
        self.0
    }

    /// This instant plus `secs` seconds, saturating instead of overflowing.
    /// This time plus `ms` milliseconds (saturating).
    pub fn plus_ms(self, ms: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(ms))
    }

    pub fn plus_secs(self, secs: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(secs.saturating_mul(1000)))
    }
}

/// Where "now" comes from; a port so that expiry rules can be unit-tested.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp(chrono::Utc::now().timestamp_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_secs_adds_milliseconds_and_saturates() {
        assert_eq!(Timestamp(1_000).plus_secs(2), Timestamp(3_000));
        assert_eq!(Timestamp(i64::MAX - 1).plus_secs(10), Timestamp(i64::MAX));
    }

    #[test]
    fn the_system_clock_is_after_2020() {
        assert!(SystemClock.now() > Timestamp(1_577_836_800_000));
    }
}
