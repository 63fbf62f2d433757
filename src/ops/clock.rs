//! Clock sanity. Ticket numbering, service days and appraisal all trust the clock, so at start
//! and every hour the server compares it with the database's last event (a clock behind the
//! last committed event has gone back; one far ahead has a wrong date) and with its own
//! monotonic time (a jump between two checks). Pure: times come in, a warning comes out, in
//! Chinese, because the floor shows it to the hall's managers after 系统时钟异常：.

use std::time::Duration;

/// How far behind the last committed event the clock may be before it is called wrong.
pub const BEHIND_TOLERANCE_MS: i64 = 2 * 60 * 1000;
/// A hall closes for holidays, not for this long: a gap past it suggests a wrong date.
pub const AHEAD_TOLERANCE_MS: i64 = 60 * 24 * 3600 * 1000;
/// Wall time and monotonic time may drift apart this much between checks (NTP slews).
pub const JUMP_TOLERANCE: Duration = Duration::from_secs(120);

/// Compare the clock `now_ms` with the last committed event's time.
pub fn against_database(now_ms: i64, last_event_ms: Option<i64>) -> Option<String> {
    let last = last_event_ms?;
    if now_ms + BEHIND_TOLERANCE_MS < last {
        return Some(format!(
            "比数据库中最后一条记录慢 {} 分钟",
            (last - now_ms) / 60_000
        ));
    }
    if now_ms - last > AHEAD_TOLERANCE_MS {
        return Some(format!(
            "比数据库中最后一条记录晚 {} 天，日期是否正确？",
            (now_ms - last) / (24 * 3600 * 1000)
        ));
    }
    None
}

/// Compare how far the wall clock moved (`wall_ms`) with how much time really passed.
pub fn jumped(wall_ms: i64, monotonic: Duration) -> Option<String> {
    let real = monotonic.as_millis() as i64;
    let off = wall_ms - real;
    (off.unsigned_abs() > JUMP_TOLERANCE.as_millis() as u64).then(|| {
        format!(
            "向{}跳了 {} 秒",
            if off > 0 { "前" } else { "后" },
            off.abs() / 1000
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_behind_the_database_or_far_past_it_is_called_out() {
        let day = 24 * 3600 * 1000;
        assert_eq!(against_database(1_000, None), None, "an empty database");
        assert_eq!(against_database(10 * day, Some(10 * day - 5_000)), None);
        assert_eq!(
            against_database(10 * day, Some(10 * day + 60_000)),
            None,
            "within tolerance"
        );
        let behind = against_database(10 * day, Some(10 * day + 10 * 60_000)).expect("behind");
        assert!(behind.contains("慢 10 分钟"), "{behind}");
        assert_eq!(
            against_database(40 * day, Some(10 * day)),
            None,
            "a month's holiday"
        );
        let ahead = against_database(400 * day, Some(10 * day)).expect("wrong year");
        assert!(ahead.contains("晚 390 天"), "{ahead}");
    }

    #[test]
    fn a_wall_clock_that_moves_unlike_real_time_jumped() {
        let hour = Duration::from_secs(3600);
        assert_eq!(jumped(3_600_000 + 500, hour), None, "slewed");
        let fwd = jumped(3_600_000 + 600_000, hour).expect("forward");
        assert!(fwd.contains("向前跳了 600 秒"), "{fwd}");
        let back = jumped(3_600_000 - 3_600_000, hour).expect("back");
        assert!(back.contains("向后跳了 3600 秒"), "{back}");
    }
}
