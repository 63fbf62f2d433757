//! Config of the staffing rota: `[[rota]]` entries (windows scheduled away at set times, e.g.
//! a staggered lunch 错时午休) and their validation into the domain's `rota::Away` list. A
//! child of `config`; check-config's warnings about queues it leaves uncovered are in
//! `domain::rota::warnings`.

use jiff::civil::Time;
use serde::Deserialize;

use crate::domain::reason::{ReasonCode, parse_wire};
use crate::domain::rota::{Away, SCHEDULABLE};

/// `[[rota]]`: windows scheduled away together for one span of the day.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotaSection {
    /// `"5"` or an inclusive range `"1-6"`: windows of `[[windows]]`.
    pub windows: String,
    /// `"HH:MM-HH:MM"`, local time, inside the hall's opening hours.
    pub away: String,
    /// The pause reason code the clerks give: lunch (default), meeting, training or away.
    #[serde(default = "lunch")]
    pub reason: String,
}

fn lunch() -> String {
    "lunch".into()
}

/// The rota as the domain's list (by window, then time). Errors are (index, key, message).
pub fn plan(
    rota: &[RotaSection],
    windows: &[u32],
    opens: Time,
    closes: Time,
    range: impl Fn(&str) -> Result<(u32, u32), String>,
    time: impl Fn(&str) -> Result<Time, String>,
) -> Result<Vec<Away>, (usize, &'static str, String)> {
    let mut out: Vec<Away> = Vec::new();
    for (i, r) in rota.iter().enumerate() {
        let (lo, hi) = range(&r.windows).map_err(|m| (i, "windows", m))?;
        if let Some(n) = (lo..=hi).find(|n| !windows.contains(n)) {
            return Err((i, "windows", format!("no [[windows]] defines window {n}")));
        }
        let bad = || format!("{:?} is not a span of the day like \"11:30-12:30\"", r.away);
        let (a, b) = r.away.split_once('-').ok_or_else(|| (i, "away", bad()))?;
        let from = time(a.trim()).map_err(|m| (i, "away", m))?;
        let to = time(b.trim()).map_err(|m| (i, "away", m))?;
        if from >= to {
            return Err((i, "away", format!("{:?} ends before it starts", r.away)));
        }
        if from < opens || to > closes {
            return Err((
                i,
                "away",
                format!(
                    "{:?} is not inside opening hours {}-{}",
                    r.away,
                    hm(opens),
                    hm(closes)
                ),
            ));
        }
        let reason = parse_wire::<ReasonCode>(r.reason.trim())
            .filter(|c| SCHEDULABLE.contains(c))
            .ok_or_else(|| {
                (
                    i,
                    "reason",
                    format!(
                        "{:?} is not a pause reason (lunch, meeting, training, away)",
                        r.reason
                    ),
                )
            })?;
        for window in lo..=hi {
            if let Some(other) = out
                .iter()
                .find(|x| x.window == window && x.from < to && from < x.to)
            {
                return Err((
                    i,
                    "away",
                    format!(
                        "window {window} is already away {}-{}",
                        hm(other.from),
                        hm(other.to)
                    ),
                ));
            }
            out.push(Away {
                window,
                from,
                to,
                reason,
            });
        }
    }
    out.sort_by_key(|a| (a.window, a.from));
    Ok(out)
}

fn hm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    /// The shipped config with `extra` appended.
    fn parse(extra: &str) -> Result<crate::domain::Plan, String> {
        let text = format!("{}\n{extra}", include_str!("../config/hall.toml"));
        Config::parse("hall.toml", &text)
            .map(|(_, p)| p)
            .map_err(|e| format!("{}: {}", e.place(), e.message))
    }

    #[test]
    fn the_rota_is_checked_against_windows_and_hours() {
        // (an added [[rota]] entry, the error it gives; "" = accepted)
        let cases = [
            ("windows = \"96\"\naway = \"12:00-13:00\"", ""),
            (
                "windows = \"96\"\naway = \"12:00-13:00\"\nreason = \"training\"",
                "",
            ),
            (
                "windows = \"119\"\naway = \"12:00-13:00\"",
                "rota[N].windows: no [[windows]] defines window 119",
            ),
            (
                "windows = \"96\"\naway = \"08:30-09:30\"",
                "rota[N].away: \"08:30-09:30\" is not inside opening hours 09:00-17:00",
            ),
            (
                "windows = \"96\"\naway = \"13:00-12:00\"",
                "rota[N].away: \"13:00-12:00\" ends before it starts",
            ),
            (
                "windows = \"96\"\naway = \"noon\"",
                "rota[N].away: \"noon\" is not a span of the day like \"11:30-12:30\"",
            ),
            (
                "windows = \"96\"\naway = \"12:00-13:00\"\nreason = \"not_present\"",
                "rota[N].reason: \"not_present\" is not a pause reason (lunch, meeting, training, away)",
            ),
            (
                "windows = \"1-3\"\naway = \"11:45-12:15\"",
                "rota[N].away: window 1 is already away 11:30-12:30",
            ),
        ];
        let n = parse("").expect("shipped").rota.len();
        let shipped = include_str!("../config/hall.toml")
            .lines()
            .filter(|l| *l == "[[rota]]")
            .count();
        for (entry, want) in cases {
            let got = parse(&format!("[[rota]]\n{entry}\n"));
            let want = want.replace("[N]", &format!("[{shipped}]"));
            match got {
                Ok(p) => {
                    assert_eq!(want, "", "{entry}");
                    assert_eq!(p.rota.len(), n + 1, "{entry}");
                }
                Err(e) => assert_eq!(e, want, "{entry}"),
            }
        }
    }

    #[test]
    fn the_shipped_rota_staggers_lunch_and_leaves_no_queue_alone() {
        let p = parse("").expect("shipped");
        assert!(crate::domain::rota::warnings(&p).is_empty());
        // 户籍 1-11: 1-6 early, 7-11 late; never all away at once.
        let at = |n: u32| {
            crate::domain::rota::of_window(&p, n)
                .map(|a| (a.from.hour(), a.from.minute(), a.to.hour(), a.to.minute()))
                .collect::<Vec<_>>()
        };
        assert_eq!(at(1), vec![(11, 30, 12, 30)]);
        assert_eq!(at(11), vec![(12, 30, 13, 30)]);
        // A single window is covered at noon by its department's back office: not away.
        assert_eq!(at(96), vec![]);
        // A window with no one left would be warned about.
        let lone = parse("[[rota]]\nwindows = \"96\"\naway = \"12:00-13:00\"\n").expect("ok");
        let w = crate::domain::rota::warnings(&lone);
        assert_eq!(
            w,
            vec![
                "warning: [[rota]] leaves queue \"xfjd\" with no window 12:00-13:00: citizens then wait until one is back"
                    .to_string()
            ]
        );
    }
}
