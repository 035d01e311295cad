//! Login attempt limits (governor's GCRA) per email and per client address. A refused attempt
//! answers 429 with `Retry-After` and is never checked against the password.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// The key an address is limited under: an IPv4 address itself (also written IPv4-mapped), an
/// IPv6 address's /64 (one subscriber's network: its other addresses are free to pick).
pub fn address_group(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// Per-email-and-address and per-address limiters, shared by every worker.
///
/// The per-email allowance is kept per client address (IPv6: per /64): someone guessing a
/// staff member's password from their own address uses up only their own allowance, so they
/// cannot lock the real user, signing in from elsewhere, out. Guessing from many addresses is
/// slowed by the per-address limit of each and by argon2's cost.
#[derive(Clone)]
pub struct LoginLimiter {
    by_email: Arc<DefaultKeyedRateLimiter<(String, Option<IpAddr>)>>,
    by_address: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    clock: DefaultClock,
}

impl LoginLimiter {
    /// Allows `per_email` attempts per minute for one email from one client address and
    /// `per_address` per minute from one client address (each at least 1), with bursts of the
    /// same size.
    pub fn new(per_email: u32, per_address: u32) -> LoginLimiter {
        let quota =
            |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        LoginLimiter {
            by_email: Arc::new(RateLimiter::keyed(quota(per_email))),
            by_address: Arc::new(RateLimiter::keyed(quota(per_address))),
            clock: DefaultClock::default(),
        }
    }

    /// Records an attempt for `email` (normalised) from `address`.
    ///
    /// # Errors
    /// The time to wait before the next attempt is allowed.
    pub fn check(&self, email: &str, address: Option<IpAddr>) -> Result<(), Duration> {
        let address = address.map(address_group);
        if let Some(address) = address {
            self.by_address
                .check_key(&address)
                .map_err(|n| n.wait_time_from(self.clock.now()))?;
        }
        self.by_email
            .check_key(&(email.to_string(), address))
            .map_err(|n| n.wait_time_from(self.clock.now()))?;
        // Forget keys whose limit has fully recovered, so memory stays bounded.
        if self.by_email.len() > 10_000 {
            self.by_email.retain_recent();
        }
        if self.by_address.len() > 10_000 {
            self.by_address.retain_recent();
        }
        Ok(())
    }
}

/// The per-staff-member API rate limit (governor's GCRA, keyed by user id), checked when a
/// request's access token is accepted.
#[derive(Clone)]
pub struct ApiLimiter {
    by_user: Option<Arc<DefaultKeyedRateLimiter<i64>>>,
    clock: DefaultClock,
}

impl ApiLimiter {
    /// Allows `per_minute` requests per minute per user, in bursts of the same size; 0: none
    /// refused.
    pub fn new(per_minute: u32) -> ApiLimiter {
        ApiLimiter {
            by_user: NonZeroU32::new(per_minute)
                .map(|n| Arc::new(RateLimiter::keyed(Quota::per_minute(n)))),
            clock: DefaultClock::default(),
        }
    }

    /// Records a request of user `id`.
    ///
    /// # Errors
    /// The time to wait before the next request is allowed.
    pub fn check(&self, id: i64) -> Result<(), Duration> {
        let Some(limiter) = &self.by_user else {
            return Ok(());
        };
        limiter
            .check_key(&id)
            .map_err(|n| n.wait_time_from(self.clock.now()))?;
        if limiter.len() > 100_000 {
            limiter.retain_recent();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_are_limited_by_their_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_group(a), address_group(b));
        assert_ne!(address_group(a), address_group(c));
        assert_eq!(
            address_group("::ffff:192.0.2.7".parse().unwrap()),
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
        let limiter = LoginLimiter::new(100, 2);
        assert!(limiter.check("x@y.test", Some(a)).is_ok());
        assert!(limiter.check("z@y.test", Some(b)).is_ok());
        // A third address of the same /64 is the same client.
        let third: IpAddr = "2001:db8:1:2::99".parse().unwrap();
        assert!(limiter.check("w@y.test", Some(third)).is_err());
        assert!(limiter.check("w@y.test", Some(c)).is_ok());
    }

    #[test]
    fn the_sixth_attempt_for_one_email_within_a_minute_is_refused() {
        let limiter = LoginLimiter::new(5, 100);
        let ip = Some(IpAddr::from([127, 0, 0, 1]));
        for i in 0..5 {
            assert!(limiter.check("a@x.test", ip).is_ok(), "attempt {}", i + 1);
        }
        let wait = limiter.check("a@x.test", ip).unwrap_err();
        // One attempt is replenished every 12 s.
        assert!(
            wait > Duration::from_secs(10) && wait <= Duration::from_secs(12),
            "{wait:?}"
        );
        assert!(
            limiter.check("b@x.test", ip).is_ok(),
            "other emails are not affected"
        );
    }

    #[test]
    fn one_address_is_limited_across_emails() {
        let limiter = LoginLimiter::new(100, 3);
        let ip = Some(IpAddr::from([10, 0, 0, 1]));
        for i in 0..3 {
            assert!(limiter.check(&format!("{i}@x.test"), ip).is_ok());
        }
        assert!(limiter.check("new@x.test", ip).is_err());
        assert!(
            limiter
                .check("new@x.test", Some(IpAddr::from([10, 0, 0, 2])))
                .is_ok()
        );
    }
}
