//! Where a clerk may work: some windows, or the windows of some departments. Unlimited when
//! both lists are empty.

use super::plan::Plan;

/// A clerk's allowed windows and departments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Inclusive ranges of window numbers.
    pub windows: Vec<(u32, u32)>,
    /// Department ids: any window that calls one of their queues.
    pub departments: Vec<String>,
}

impl Scope {
    /// Parse `"1-11,20"` and `"gaj,mzj"` (either may be empty), checked against the plan.
    pub fn parse(plan: &Plan, windows: &str, departments: &str) -> Result<Scope, String> {
        let mut scope = Scope::default();
        for part in windows.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (lo, hi) = match part.split_once('-') {
                Some((a, b)) => (a.trim().parse::<u32>(), b.trim().parse::<u32>()),
                None => (part.parse(), part.parse()),
            };
            match (lo, hi) {
                (Ok(lo), Ok(hi))
                    if lo <= hi && plan.window(lo).is_some() && plan.window(hi).is_some() =>
                {
                    scope.windows.push((lo, hi));
                }
                _ => {
                    return Err(format!(
                        "windows: {part:?} is not a window number or range of this hall"
                    ));
                }
            }
        }
        for d in departments
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            if plan.department(d).is_none() {
                return Err(format!("departments: unknown department {d:?}"));
            }
            scope.departments.push(d.to_string());
        }
        Ok(scope)
    }

    /// Read back what `windows_text`/`departments_text` stored; unknown parts are dropped.
    pub fn from_stored(plan: &Plan, windows: Option<&str>, departments: Option<&str>) -> Scope {
        let w = windows.unwrap_or("");
        let d = departments.unwrap_or("");
        Scope::parse(plan, w, d).unwrap_or_else(|_| {
            // A stored scope that no longer fits the hall (config changed) allows nothing
            // rather than everything.
            Scope {
                windows: vec![(0, 0)],
                departments: Vec::new(),
            }
        })
    }

    pub fn is_unlimited(&self) -> bool {
        self.windows.is_empty() && self.departments.is_empty()
    }

    /// Whether the clerk may sign in at `window`.
    pub fn allows(&self, plan: &Plan, window: u32) -> bool {
        if self.is_unlimited()
            || self
                .windows
                .iter()
                .any(|(lo, hi)| (*lo..=*hi).contains(&window))
        {
            return true;
        }
        plan.window(window).is_some_and(|w| {
            w.queues()
                .filter_map(|q| plan.queue(q))
                .any(|q| self.departments.contains(&q.department))
        })
    }

    /// The stored forms: `"1-11,20"`, `"gaj,mzj"`.
    pub fn windows_text(&self) -> String {
        self.windows
            .iter()
            .map(|(lo, hi)| {
                if lo == hi {
                    lo.to_string()
                } else {
                    format!("{lo}-{hi}")
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn departments_text(&self) -> String {
        self.departments.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        crate::config::Config::parse("hall.toml", include_str!("../../config/hall.toml"))
            .expect("config")
            .1
    }

    #[test]
    fn scopes() {
        let p = plan();
        let any = Scope::parse(&p, "", "").expect("empty");
        assert!(any.is_unlimited() && any.allows(&p, 118));
        let s = Scope::parse(&p, "1-11, 20", "").expect("windows");
        assert!(s.allows(&p, 1) && s.allows(&p, 11) && s.allows(&p, 20));
        assert!(!s.allows(&p, 12) && !s.allows(&p, 21));
        assert_eq!(s.windows_text(), "1-11,20");
        // 公安局's windows are 1-20 in the shipped hall.
        let d = Scope::parse(&p, "", "gaj").expect("department");
        assert!(d.allows(&p, 13) && !d.allows(&p, 21));
        assert!(Scope::parse(&p, "0-3", "").is_err());
        assert!(Scope::parse(&p, "5-x", "").is_err());
        assert!(Scope::parse(&p, "", "nope").is_err());
        let stale = Scope::from_stored(&p, Some("900"), None);
        assert!(
            !stale.allows(&p, 1),
            "a scope that no longer fits allows nothing"
        );
    }
}
