//! The spoken call: the template's text and the clip names a wall screen plays back to back.
//! Ticket numbers are read digit by digit (A012 → A 零 一 二), window numbers as amounts
//! (12 → 十二), the way Chinese halls read them.

/// Phrases of a template that have a clip of their own, longest first so `号窗口` wins over `号`.
const PHRASES: &[(&str, &str)] = &[
    ("号窗口", "hao_chuangkou"),
    ("窗口", "chuangkou"),
    ("办理", "banli"),
    ("请", "qing"),
    ("号", "hao"),
    ("到", "dao"),
];

/// How many times a call is spoken.
pub const REPEAT: usize = 2;

/// Fill `{number}` and `{window}` into a template.
pub fn fill(template: &str, number: &str, window: u32) -> String {
    template
        .replace("{number}", number)
        .replace("{window}", &window.to_string())
}

/// The clip names for one call: the chime, then the phrase `REPEAT` times.
pub fn clips(template: &str, number: &str, window: u32) -> Vec<String> {
    let phrase = phrase_clips(template, number, window);
    let mut out = Vec::with_capacity(1 + phrase.len() * REPEAT);
    out.push("chime".to_string());
    for _ in 0..REPEAT {
        out.extend(phrase.iter().cloned());
    }
    out
}

/// The clips of one reading of the template. Text with no clip is skipped: the screen
/// still shows it, and a recorded pack can add clips for it.
pub fn phrase_clips(template: &str, number: &str, window: u32) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("{number}") {
            out.extend(number_clips(number));
            rest = r;
        } else if let Some(r) = rest.strip_prefix("{window}") {
            out.extend(amount_clips(window));
            rest = r;
        } else if let Some((text, clip)) = PHRASES.iter().find(|(t, _)| rest.starts_with(t)) {
            out.push((*clip).to_string());
            rest = &rest[text.len()..];
        } else {
            let skip = rest.chars().next().map_or(1, char::len_utf8);
            rest = &rest[skip..];
        }
    }
    out
}

/// Every clip name a call can use: what a voice pack must contain.
pub fn vocabulary() -> Vec<String> {
    let mut out = vec!["chime".to_string(), "shi".into(), "bai".into()];
    out.extend(PHRASES.iter().map(|(_, clip)| clip.to_string()));
    out.extend((0..10).map(|d| format!("d{d}")));
    out.extend(('a'..='z').map(|c| format!("letter_{c}")));
    out
}

/// `A012` → `letter_a d0 d1 d2`.
pub fn number_clips(number: &str) -> Vec<String> {
    number
        .chars()
        .filter_map(|c| {
            if c.is_ascii_alphabetic() {
                Some(format!("letter_{}", c.to_ascii_lowercase()))
            } else {
                c.to_digit(10).map(|d| format!("d{d}"))
            }
        })
        .collect()
}

/// 5 → 五, 12 → 十二, 20 → 二十, 105 → 一百零五, 118 → 一百一十八.
pub fn amount_clips(n: u32) -> Vec<String> {
    fn d(x: u32) -> String {
        format!("d{x}")
    }
    let mut out = Vec::new();
    let (hundreds, tens, ones) = (n / 100, (n / 10) % 10, n % 10);
    if n >= 1000 {
        return n
            .to_string()
            .chars()
            .filter_map(|c| c.to_digit(10))
            .map(d)
            .collect();
    }
    if hundreds > 0 {
        out.push(d(hundreds));
        out.push("bai".into());
        if tens == 0 && ones != 0 {
            out.push(d(0));
        }
    }
    if tens > 0 {
        if !(hundreds == 0 && tens == 1) {
            out.push(d(tens));
        }
        out.push("shi".into());
    }
    if ones > 0 || n == 0 {
        out.push(d(ones));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn amounts_read_as_chinese_halls_read_them() {
        let cases: &[(u32, &[&str])] = &[
            (0, &["d0"]),
            (5, &["d5"]),
            (10, &["shi"]),
            (12, &["shi", "d2"]),
            (20, &["d2", "shi"]),
            (99, &["d9", "shi", "d9"]),
            (100, &["d1", "bai"]),
            (105, &["d1", "bai", "d0", "d5"]),
            (110, &["d1", "bai", "d1", "shi"]),
            (118, &["d1", "bai", "d1", "shi", "d8"]),
        ];
        for (n, want) in cases {
            assert_eq!(amount_clips(*n), s(want), "{n}");
        }
    }

    #[test]
    fn default_template_makes_the_expected_clips() {
        let t = "请{number}号到{window}号窗口办理";
        assert_eq!(fill(t, "A012", 5), "请A012号到5号窗口办理");
        let phrase = s(&[
            "qing",
            "letter_a",
            "d0",
            "d1",
            "d2",
            "hao",
            "dao",
            "d5",
            "hao_chuangkou",
            "banli",
        ]);
        assert_eq!(phrase_clips(t, "A012", 5), phrase);
        let all = clips(t, "A012", 5);
        assert_eq!(all[0], "chime");
        assert_eq!(all.len(), 1 + 2 * phrase.len());
        assert_eq!(&all[1..=phrase.len()], &phrase[..]);
    }

    #[test]
    fn two_letter_prefixes_and_unknown_text() {
        assert_eq!(
            number_clips("HK0007"),
            s(&["letter_h", "letter_k", "d0", "d0", "d0", "d7"])
        );
        assert_eq!(
            phrase_clips("{number}，您好", "B1", 1),
            s(&["letter_b", "d1"])
        );
    }
}
