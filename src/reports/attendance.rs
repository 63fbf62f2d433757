//! Attendance from the event log: how long each clerk was signed in at each window and how
//! much of that time the window was paused.

use std::collections::BTreeMap;

use crate::store::reports::WindowEventRow;

/// Signed-in and paused time of one clerk at one window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Presence {
    pub signed_in_ms: i64,
    pub paused_ms: i64,
}

/// Presence by (window, clerk username).
pub type Attendance = BTreeMap<(u32, String), Presence>;

#[derive(Default)]
struct Open {
    clerk: Option<String>,
    since: i64,
    paused_since: Option<i64>,
}

/// Fold window events (in commit order) into presence, counting only time inside
/// `[from_ms, until_ms)`. Intervals still open at the end are closed at `until_ms`.
/// A pause or resume at a window nobody is known to be signed into is ignored.
pub fn attendance(events: &[WindowEventRow], from_ms: i64, until_ms: i64) -> Attendance {
    let span = Span { from_ms, until_ms };
    let mut open: BTreeMap<u32, Open> = BTreeMap::new();
    let mut out = Attendance::new();
    for e in events {
        let o = open.entry(e.window).or_default();
        match e.kind.as_str() {
            "window.signed_in" => {
                span.close(&mut out, e.window, o, e.at_ms);
                o.clerk = e.clerk.clone();
                o.since = e.at_ms;
                if let Some(c) = &o.clerk {
                    out.entry((e.window, c.clone())).or_default();
                }
            }
            "window.signed_out" => span.close(&mut out, e.window, o, e.at_ms),
            "window.paused" if o.clerk.is_some() && o.paused_since.is_none() => {
                o.paused_since = Some(e.at_ms);
            }
            "window.resumed" => span.close_pause(&mut out, e.window, o, e.at_ms),
            _ => {}
        }
    }
    for (w, o) in open.iter_mut() {
        span.close(&mut out, *w, o, until_ms);
    }
    out
}

/// The part of time that counts.
struct Span {
    from_ms: i64,
    until_ms: i64,
}

impl Span {
    fn clip(&self, a: i64, b: i64) -> i64 {
        (b.min(self.until_ms) - a.max(self.from_ms)).max(0)
    }

    fn close_pause(&self, out: &mut Attendance, w: u32, o: &mut Open, at: i64) {
        if let (Some(p), Some(c)) = (o.paused_since.take(), &o.clerk) {
            out.entry((w, c.clone())).or_default().paused_ms += self.clip(p, at);
        }
    }

    /// End the pause and the sign-in open at window `w`, if any.
    fn close(&self, out: &mut Attendance, w: u32, o: &mut Open, at: i64) {
        self.close_pause(out, w, o, at);
        if let Some(c) = o.clerk.take() {
            out.entry((w, c)).or_default().signed_in_ms += self.clip(o.since, at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn ev(seq: i64, min: i64, kind: &str, window: u32, clerk: Option<&str>) -> WindowEventRow {
        WindowEventRow {
            seq,
            at_ms: min * MIN,
            kind: format!("window.{kind}"),
            window,
            clerk: clerk.map(str::to_string),
        }
    }

    #[test]
    fn sign_in_pause_resume_sign_out() {
        let events = [
            ev(1, 0, "signed_in", 5, Some("a")),
            ev(2, 30, "paused", 5, None),
            ev(3, 45, "resumed", 5, None),
            ev(4, 60, "paused", 5, None),
            ev(5, 70, "signed_out", 5, Some("a")),
            ev(6, 80, "signed_in", 5, Some("b")),
            ev(7, 90, "paused", 6, None), // nobody at 6: ignored
        ];
        let a = attendance(&events, 0, 1000 * MIN);
        assert_eq!(
            a[&(5, "a".to_string())],
            Presence {
                signed_in_ms: 70 * MIN,
                paused_ms: 25 * MIN
            }
        );
        // Still signed in at the end of the range.
        assert_eq!(a[&(5, "b".to_string())].signed_in_ms, 920 * MIN);
        assert_eq!(a.len(), 2);
    }

    #[test]
    fn time_outside_the_range_is_clipped() {
        let events = [
            ev(1, 10, "signed_in", 1, Some("a")),
            ev(2, 20, "paused", 1, None),
        ];
        let a = attendance(&events, 15 * MIN, 30 * MIN);
        assert_eq!(
            a[&(1, "a".to_string())],
            Presence {
                signed_in_ms: 15 * MIN,
                paused_ms: 10 * MIN
            }
        );
    }
}
