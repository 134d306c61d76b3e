//! Business-hours arithmetic on real instants: a weekly schedule in one IANA time
//! zone with holidays. Every answer is in elapsed (UTC) seconds, so a working day
//! that crosses a DST change is as long as it really was (a 01:00–04:00 shift on
//! the night clocks spring forward lasts two hours). An opening or closing time
//! that falls in a DST gap moves forward by the gap's length (02:30 → 03:30), as
//! calendars do; in a fold the earlier moment counts.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use std::collections::HashSet;

/// How far ahead (days) the search for open time goes before it gives up (a
/// schedule with no hours at all, or a year of holidays).
const HORIZON_DAYS: usize = 800;

/// A weekly schedule.
#[derive(Clone, Debug)]
pub struct Schedule {
    tz: TimeZone,
    /// Monday first: (open, close) in minutes after local midnight, sorted; close
    /// up to 1440 (midnight at the end of the day).
    week: [Vec<(u16, u16)>; 7],
    holidays: HashSet<Date>,
}

impl Schedule {
    /// A schedule in `tz` with `week[0]` = Monday's intervals (minutes after
    /// midnight) and holiday dates.
    ///
    /// # Errors
    /// An unknown zone or an interval that does not open before it closes.
    pub fn new(
        tz: &str,
        week: [Vec<(u16, u16)>; 7],
        holidays: impl IntoIterator<Item = Date>,
    ) -> Result<Self, String> {
        let tz = TimeZone::get(tz).map_err(|_| format!("`{tz}` is not a known time zone."))?;
        let mut week = week;
        for day in &mut week {
            day.sort_unstable();
            for (o, c) in day.iter() {
                if o >= c || *c > 1440 {
                    return Err(format!(
                        "{} must open before it closes.",
                        range_text(*o, *c)
                    ));
                }
            }
            for w in day.windows(2) {
                if w[1].0 < w[0].1 {
                    return Err(format!(
                        "{} overlaps {}.",
                        range_text(w[0].0, w[0].1),
                        range_text(w[1].0, w[1].1)
                    ));
                }
            }
        }
        Ok(Self {
            tz,
            week,
            holidays: holidays.into_iter().collect(),
        })
    }

    /// Open around the clock, every day (in UTC).
    pub fn always() -> Self {
        Self {
            tz: TimeZone::UTC,
            week: std::array::from_fn(|_| vec![(0, 1440)]),
            holidays: HashSet::new(),
        }
    }

    /// Whether the schedule has any open time in a normal week.
    pub fn has_hours(&self) -> bool {
        self.week.iter().any(|d| !d.is_empty())
    }

    fn local_date(&self, t: Timestamp) -> Date {
        t.to_zoned(self.tz.clone()).date()
    }

    /// The instant of `minutes` after local midnight on `date` (1440: the next
    /// midnight); a time in a DST gap moves forward by the gap.
    fn instant(&self, date: Date, minutes: u16) -> Option<Timestamp> {
        let (date, minutes) = if minutes >= 1440 {
            (date.tomorrow().ok()?, minutes - 1440)
        } else {
            (date, minutes)
        };
        let h = i8::try_from(minutes / 60).ok()?;
        let m = i8::try_from(minutes % 60).ok()?;
        date.at(h, m, 0, 0)
            .to_zoned(self.tz.clone())
            .ok()
            .map(|z| z.timestamp())
    }

    /// The open intervals of one local date, as instants (none on a holiday).
    fn intervals(&self, date: Date) -> Vec<(i64, i64)> {
        if self.holidays.contains(&date) {
            return Vec::new();
        }
        let dow = usize::try_from(date.weekday().to_monday_zero_offset()).unwrap_or(0);
        self.week[dow]
            .iter()
            .filter_map(|(o, c)| {
                let a = self.instant(date, *o)?.as_second();
                let b = self.instant(date, *c)?.as_second();
                (b > a).then_some((a, b))
            })
            .collect()
    }

    /// Intervals from the local date of `t` on, in order, for the horizon.
    fn intervals_from(&self, t: i64) -> impl Iterator<Item = (i64, i64)> + '_ {
        let start = Timestamp::from_second(t).unwrap_or(Timestamp::UNIX_EPOCH);
        // The day before too: its interval may run past midnight in elapsed time.
        let first = self
            .local_date(start)
            .yesterday()
            .unwrap_or(self.local_date(start));
        let mut day = Some(first);
        (0..HORIZON_DAYS)
            .flat_map(move |_| {
                let d = day?;
                day = d.tomorrow().ok();
                Some(self.intervals(d))
            })
            .flatten()
            .filter(move |(_, b)| *b > t)
    }

    /// Whether `t` is within business hours.
    pub fn is_open(&self, t: Timestamp) -> bool {
        let s = t.as_second();
        self.intervals_from(s)
            .take_while(|(a, _)| *a <= s)
            .any(|(a, b)| a <= s && s < b)
    }

    /// `t` when it is within business hours, otherwise the next moment they
    /// start; none when there is no open time within the horizon.
    pub fn next_business_moment(&self, t: Timestamp) -> Option<Timestamp> {
        let s = t.as_second();
        self.intervals_from(s)
            .next()
            .and_then(|(a, _)| Timestamp::from_second(a.max(s)).ok())
    }

    /// The moment `seconds` of business time after `t`.
    pub fn add_business_seconds(&self, t: Timestamp, seconds: i64) -> Option<Timestamp> {
        let mut left = seconds.max(0);
        let s = t.as_second();
        for (a, b) in self.intervals_from(s) {
            let a = a.max(s);
            if b - a >= left {
                return Timestamp::from_second(a + left).ok();
            }
            left -= b - a;
        }
        None
    }

    /// Business seconds between `a` and `b` (zero when `b` is not after `a`).
    pub fn business_seconds_between(&self, a: Timestamp, b: Timestamp) -> i64 {
        let (a, b) = (a.as_second(), b.as_second());
        if b <= a {
            return 0;
        }
        self.intervals_from(a)
            .take_while(|(x, _)| *x < b)
            .map(|(x, y)| y.min(b) - x.max(a))
            .filter(|d| *d > 0)
            .sum()
    }
}

/// "09:00–17:00".
pub fn range_text(open: u16, close: u16) -> String {
    format!("{}–{}", hhmm(open), hhmm(close))
}

/// Minutes after midnight as "HH:MM" (1440: "24:00").
pub fn hhmm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// Parses "HH:MM" (00:00–24:00) into minutes after midnight.
pub fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    let v = h.checked_mul(60)?.checked_add(m)?;
    (m < 60 && v <= 1440).then_some(v)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn nine_to_five(tz: &str, holidays: &[&str]) -> Schedule {
        let day = vec![(9 * 60, 17 * 60)];
        Schedule::new(
            tz,
            [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
                vec![],
                vec![],
            ],
            holidays.iter().map(|d| d.parse::<Date>().unwrap()),
        )
        .unwrap()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn next_business_moment_and_adding_hours() {
        let s = nine_to_five("America/New_York", &["2026-12-25"]);
        // Thursday 2026-12-24 16:30 EST = 21:30Z; 1 business hour: 30 min that
        // day, then Christmas is a holiday, the weekend, then Monday 09:30.
        let t = at("2026-12-24T21:30:00Z");
        assert!(s.is_open(t));
        let due = s.add_business_seconds(t, 3600).unwrap();
        assert_eq!(due, at("2026-12-28T14:30:00Z"));
        assert_eq!(s.business_seconds_between(t, due), 3600);
        // Friday evening → Monday 09:00 EST.
        let next = s.next_business_moment(at("2026-12-18T23:00:00Z")).unwrap();
        assert_eq!(next, at("2026-12-21T14:00:00Z"));
        assert!(!s.is_open(at("2026-12-25T15:00:00Z")), "Christmas");
    }

    #[test]
    fn dst_days_last_as_long_as_they_really_did() {
        // Open 00:00–06:00 on Sundays in New York: on 2026-03-08 the clocks jump
        // from 02:00 to 03:00, so that Sunday has five business hours.
        let mut week: [Vec<(u16, u16)>; 7] = Default::default();
        week[6] = vec![(0, 360)];
        let s = Schedule::new("America/New_York", week.clone(), []).unwrap();
        let sunday = at("2026-03-08T05:00:00Z"); // 00:00 EST
        let end = at("2026-03-09T05:00:00Z");
        assert_eq!(s.business_seconds_between(sunday, end), 5 * 3600);
        // And on 2026-11-01 (fall back) it has seven.
        let sunday = at("2026-11-01T04:00:00Z"); // 00:00 EDT
        let end = at("2026-11-02T05:00:00Z");
        assert_eq!(s.business_seconds_between(sunday, end), 7 * 3600);
        // Berlin springs forward on 2026-03-29 (02:00 → 03:00): a 02:30 opening
        // falls in the gap and moves forward by the gap, to 03:30 CEST (01:30Z).
        let mut week: [Vec<(u16, u16)>; 7] = Default::default();
        week[6] = vec![(150, 300)];
        let s = Schedule::new("Europe/Berlin", week, []).unwrap();
        let open = s.next_business_moment(at("2026-03-28T23:00:00Z")).unwrap();
        assert_eq!(open, at("2026-03-29T01:30:00Z"));
    }

    /// Random instants and amounts in several zones, across DST changes and
    /// holidays: the arithmetic agrees with itself.
    #[test]
    fn properties_hold_across_zones_dst_and_holidays() {
        let zones = [
            "America/New_York",
            "Europe/Berlin",
            "Australia/Sydney",
            "Asia/Kolkata",
            "America/Sao_Paulo",
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
        // 2026-01-01 … 2027-12-31 covers two years of DST changes.
        let (from, to) = (1_767_225_600_i64, 1_830_297_600_i64);
        for zone in zones {
            let s = nine_to_five(zone, &["2026-12-25", "2027-01-01", "2026-04-03"]);
            let split = {
                let mut week: [Vec<(u16, u16)>; 7] = Default::default();
                for d in week.iter_mut().take(6) {
                    *d = vec![(8 * 60, 12 * 60), (13 * 60, 18 * 60)];
                }
                week[6] = vec![(0, 1440)];
                Schedule::new(zone, week, ["2026-12-25".parse().unwrap()]).unwrap()
            };
            for sched in [&s, &split] {
                for _ in 0..150 {
                    let t = Timestamp::from_second(rng.gen_range(from..to)).unwrap();
                    let secs = rng.gen_range(0..(40 * 3600));
                    // next_business_moment: not before t, open, nothing open between.
                    let n = sched.next_business_moment(t).unwrap();
                    assert!(n >= t);
                    assert!(sched.is_open(n), "{zone}: {n} should be open");
                    assert_eq!(sched.business_seconds_between(t, n), 0);
                    // Adding business time is measured back exactly.
                    let due = sched.add_business_seconds(t, secs).unwrap();
                    assert_eq!(
                        sched.business_seconds_between(t, due),
                        secs,
                        "{zone} {t} +{secs}"
                    );
                    // Monotonic in the amount.
                    let more = sched.add_business_seconds(t, secs + 60).unwrap();
                    assert!(more > due);
                    // Additive: t + a + b = t + (a + b).
                    let a = secs / 3;
                    let mid = sched.add_business_seconds(t, a).unwrap();
                    let two = sched.add_business_seconds(mid, secs - a).unwrap();
                    if secs - a > 0 {
                        assert_eq!(two, due, "{zone} {t} {a}+{}", secs - a);
                    }
                }
            }
            // Holidays have no open time.
            let xmas = "2026-12-25".parse::<Date>().unwrap();
            for h in 0..24 {
                let t = xmas
                    .at(h, 30, 0, 0)
                    .to_zoned(TimeZone::get(zone).unwrap())
                    .unwrap();
                assert!(!s.is_open(t.timestamp()), "{zone} {t}");
            }
        }
    }

    #[test]
    fn bad_hours_are_refused() {
        let mut week: [Vec<(u16, u16)>; 7] = Default::default();
        week[0] = vec![(600, 540)];
        assert!(Schedule::new("Europe/Paris", week.clone(), []).is_err());
        week[0] = vec![(540, 720), (700, 800)];
        assert!(Schedule::new("Europe/Paris", week, [])
            .unwrap_err()
            .contains("overlaps"));
        assert!(Schedule::new("Mars/Olympus", Default::default(), []).is_err());
        assert_eq!(parse_hhmm("09:30"), Some(570));
        assert_eq!(parse_hhmm("24:00"), Some(1440));
        assert_eq!(parse_hhmm("24:01"), None);
        assert_eq!(parse_hhmm("9:75"), None);
        assert!(!Schedule::new("UTC", Default::default(), [])
            .unwrap()
            .has_hours());
        assert!(Schedule::always().is_open(Timestamp::now()));
    }
}
