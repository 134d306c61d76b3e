//! Sliding-window rate limits stored in the database, so they hold across processes
//! (sign-in attempts, verification resends, password-reset requests).

use super::tenancy::{global, global_delete};
use super::{now, ServiceResult};
use entity::rate_limit_hit;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

/// If `key` has `limit` or more hits in the last `window_secs`, the seconds until one
/// expires; otherwise `None`.
///
/// # Errors
/// Database errors.
pub async fn blocked_for(
    db: &impl ConnectionTrait,
    key: &str,
    limit: u64,
    window_secs: i64,
) -> ServiceResult<Option<u64>> {
    let since = now() - chrono::Duration::seconds(window_secs);
    let q = global::<rate_limit_hit::Entity>()
        .filter(rate_limit_hit::Column::Key.eq(key))
        .filter(rate_limit_hit::Column::CreatedAt.gt(since));
    let count = q.clone().count(db).await?;
    if count < limit {
        return Ok(None);
    }
    let oldest = q
        .order_by_asc(rate_limit_hit::Column::CreatedAt)
        .one(db)
        .await?
        .map_or(since, |h| h.created_at);
    let free_at = oldest + chrono::Duration::seconds(window_secs);
    let secs = (free_at - now()).num_seconds().max(1);
    Ok(Some(u64::try_from(secs).unwrap_or(1)))
}

/// Fails with `RateLimited` when `key` is over `limit` in the window; the message
/// is `message` followed by "… in N minutes.".
///
/// # Errors
/// `RateLimited`; database errors.
pub async fn enforce(
    db: &impl ConnectionTrait,
    key: &str,
    limit: u64,
    window_secs: i64,
    message: &str,
) -> ServiceResult<()> {
    match blocked_for(db, key, limit, window_secs).await? {
        None => Ok(()),
        Some(wait) => Err(super::ServiceError::RateLimited {
            message: format!("{message} in {}.", human_wait(wait)),
            retry_after_secs: wait,
        }),
    }
}

/// Counts one hit for `key`.
///
/// # Errors
/// Database errors.
pub async fn hit(db: &impl ConnectionTrait, key: &str) -> ServiceResult<()> {
    rate_limit_hit::ActiveModel {
        key: Set(key.to_owned()),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Forgets the hits for `key` (e.g. after a successful sign-in).
///
/// # Errors
/// Database errors.
pub async fn clear(db: &impl ConnectionTrait, key: &str) -> ServiceResult<()> {
    global_delete::<rate_limit_hit::Entity>()
        .filter(rate_limit_hit::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// "N minutes" / "N seconds" for messages.
pub fn human_wait(secs: u64) -> String {
    if secs >= 90 {
        format!("{} minutes", secs.div_ceil(60))
    } else {
        format!("{secs} seconds")
    }
}

/// Sliding-window limits kept in memory: for endpoints that take many small
/// requests (chat widget messages, the REST API), where a database row per hit
/// would cost more than the request itself.
///
/// With several instances on a shared bus each counts its own hits and, every
/// [`SHARE_EVERY`], publishes what it counted since ([`Self::take_shared`]);
/// the others add those hits to their windows ([`Self::absorb`]). A key
/// therefore gets its limit across all instances, give or take what arrives
/// within one sharing interval.
#[derive(Debug, Default)]
pub struct MemoryLimiter {
    hits: std::sync::Mutex<
        std::collections::HashMap<String, std::collections::VecDeque<std::time::Instant>>,
    >,
    /// Hits counted here and not yet shared; `None` while not sharing.
    unshared: std::sync::Mutex<Option<std::collections::HashMap<String, u32>>>,
}

/// How often an instance shares the hits it counted.
pub const SHARE_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

impl MemoryLimiter {
    /// Counts a hit for `key`, or refuses it when `limit` hits happened in the last
    /// `window`: then the seconds until one expires.
    ///
    /// # Errors
    /// The wait, in seconds.
    pub fn check(&self, key: &str, limit: usize, window: std::time::Duration) -> Result<(), u64> {
        let now = std::time::Instant::now();
        let Ok(mut map) = self.hits.lock() else {
            return Ok(());
        };
        if map.len() > 100_000 {
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let q = map.entry(key.to_owned()).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
            q.pop_front();
        }
        if q.len() >= limit {
            let wait = q
                .front()
                .map_or(window, |t| window.saturating_sub(now.duration_since(*t)));
            return Err(wait.as_secs().max(1));
        }
        q.push_back(now);
        drop(map);
        if let Ok(mut unshared) = self.unshared.lock() {
            if let Some(m) = unshared.as_mut() {
                *m.entry(key.to_owned()).or_default() += 1;
            }
        }
        Ok(())
    }

    /// Starts keeping the hits counted here for [`Self::take_shared`].
    pub fn share(&self) {
        if let Ok(mut unshared) = self.unshared.lock() {
            unshared.get_or_insert_with(Default::default);
        }
    }

    /// The hits counted here since the last call, by key.
    pub fn take_shared(&self) -> std::collections::HashMap<String, u32> {
        self.unshared
            .lock()
            .ok()
            .and_then(|mut u| u.as_mut().map(std::mem::take))
            .unwrap_or_default()
    }

    /// Adds `n` hits that another instance counted for `key` just now.
    pub fn absorb(&self, key: &str, n: u32) {
        let now = std::time::Instant::now();
        if let Ok(mut map) = self.hits.lock() {
            let q = map.entry(key.to_owned()).or_default();
            // More than a window's worth changes nothing: every limit is below it.
            q.extend(std::iter::repeat_n(now, n.min(100_000) as usize));
        }
    }

    /// [`Self::check`] as a service error with `message` ("… in N seconds.").
    ///
    /// # Errors
    /// `RateLimited`.
    pub fn enforce(
        &self,
        key: &str,
        limit: usize,
        window: std::time::Duration,
        message: &str,
    ) -> ServiceResult<()> {
        self.check(key, limit, window)
            .map_err(|wait| super::ServiceError::RateLimited {
                message: format!("{message} in {}.", human_wait(wait)),
                retry_after_secs: wait,
            })
    }
}

#[cfg(test)]
mod memory_tests {
    use super::*;

    #[test]
    fn the_window_slides() {
        let l = MemoryLimiter::default();
        let w = std::time::Duration::from_secs(60);
        assert!(l.check("a", 2, w).is_ok());
        assert!(l.check("a", 2, w).is_ok());
        assert!(l.check("a", 2, w).is_err());
        assert!(l.check("b", 2, w).is_ok());
        assert!(l.check("a", 1, std::time::Duration::ZERO).is_ok());
    }

    #[test]
    fn hits_counted_elsewhere_count_here() {
        let here = MemoryLimiter::default();
        let there = MemoryLimiter::default();
        assert!(
            there.take_shared().is_empty(),
            "nothing kept until sharing starts"
        );
        here.share();
        there.share();
        let w = std::time::Duration::from_secs(60);
        assert!(here.check("k", 3, w).is_ok());
        assert!(here.check("k", 3, w).is_ok());
        let shared = here.take_shared();
        assert_eq!(shared.get("k"), Some(&2));
        assert!(here.take_shared().is_empty(), "each hit is shared once");
        for (k, n) in shared {
            there.absorb(&k, n);
        }
        assert!(there.check("k", 3, w).is_ok());
        assert!(
            there.check("k", 3, w).is_err(),
            "two here and one there make three"
        );
    }
}
