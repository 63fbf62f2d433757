//! Chinese resident ID numbers (GB 11643): format and check digit, and phone numbers.

/// A checked 18-character resident ID number.
#[derive(Clone, PartialEq, Eq)]
pub struct IdNumber(String);

impl std::fmt::Debug for IdNumber {
    // Never print the whole number, not even in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdNumber(**************{})", self.last4())
    }
}

impl IdNumber {
    /// Parse and check: 17 digits, a valid birth date, and the ISO 7064 MOD 11-2 check character.
    pub fn parse(raw: &str) -> Option<IdNumber> {
        let s: String = raw.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
            return None;
        }
        if check_char(&s[..17]) != Some(b[17]) {
            return None;
        }
        let num = |r: std::ops::Range<usize>| s[r].parse::<i16>().ok();
        let (y, m, d) = (num(6..10)?, num(10..12)?, num(12..14)?);
        if !(1900..=2100).contains(&y) {
            return None;
        }
        jiff::civil::Date::new(y, i8::try_from(m).ok()?, i8::try_from(d).ok()?).ok()?;
        Some(IdNumber(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last four characters: the most a slip or a screen may show.
    pub fn last4(&self) -> &str {
        &self.0[14..]
    }
}

/// The ISO 7064 MOD 11-2 check character of the first 17 digits, `None` if they are not 17 digits.
pub fn check_char(body: &str) -> Option<u8> {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: &[u8; 11] = b"10X98765432";
    let b = body.as_bytes();
    if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b.iter().zip(W).map(|(d, w)| u32::from(d - b'0') * w).sum();
    Some(C[(sum % 11) as usize])
}

/// A mainland mobile number: 11 digits starting 1[3-9].
pub fn valid_phone(raw: &str) -> bool {
    let b = raw.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_and_dates() {
        // Built with the published weights; the last is an X check character.
        let cases = [
            ("11010519491231002X", true),
            ("110105194912310021", false), // wrong check digit
            ("522732199001011234", false),
            ("52273219900101123", false),   // too short
            ("5227321990010112345", false), // too long
            ("52273219901301123X", false),  // month 13
            ("11010519491231002x", true),   // lower-case x accepted
            ("abcdefghijklmnopqr", false),
        ];
        for (raw, ok) in cases {
            assert_eq!(IdNumber::parse(raw).is_some(), ok, "{raw}");
        }
        let id = IdNumber::parse("11010519491231002X").expect("valid");
        assert_eq!(id.last4(), "002X");
        assert!(!format!("{id:?}").contains("110105"));
    }

    #[test]
    fn phones() {
        assert!(valid_phone("13812345678"));
        assert!(!valid_phone("12812345678"));
        assert!(!valid_phone("1381234567"));
        assert!(!valid_phone("1381234567a"));
    }
}
