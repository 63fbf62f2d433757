//! Real-time status by DLE EOT n (the 3-byte form), as a pure question-and-answer sequence:
//! ask n=1 (printer); if it is offline ask n=2 (why: cover, paper end, error), else ask n=4
//! (roll paper sensor). The transports only move the bytes.

use super::PrintError;

/// DLE EOT n.
pub fn request(n: u8) -> [u8; 3] {
    [0x10, 0x04, n]
}

/// What a successful check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checked {
    /// The printer answered (a device file may not).
    pub known: bool,
    /// The roll is nearly used up.
    pub paper_near_end: bool,
}

/// The next step of a status check, given the replies so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send DLE EOT n and read one byte.
    Ask(u8),
    /// The check is over.
    Done(Result<Checked, PrintError>),
}

/// Every status byte has the fixed bits 0xx1xx10.
fn valid(b: u8) -> bool {
    b & 0b1001_0011 == 0b0001_0010
}

/// The next step after `replies` (one byte per question asked so far).
pub fn next(replies: &[u8]) -> Step {
    match replies {
        [] => Step::Ask(1),
        [b, ..] if !valid(*b) => Step::Done(Err(PrintError::BadStatus(*b))),
        [printer] if printer & 0x08 != 0 => Step::Ask(2),
        [_] => Step::Ask(4),
        [_, b, ..] if !valid(*b) => Step::Done(Err(PrintError::BadStatus(*b))),
        [printer, cause] if printer & 0x08 != 0 => Step::Done(Err(if cause & 0x04 != 0 {
            PrintError::CoverOpen
        } else if cause & 0x20 != 0 {
            PrintError::PaperOut
        } else {
            PrintError::Offline
        })),
        [_, paper, ..] => Step::Done(if paper & 0x60 != 0 {
            Err(PrintError::PaperOut)
        } else {
            Ok(Checked {
                known: true,
                paper_near_end: paper & 0x0C != 0,
            })
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_bytes_are_read_like_the_manual_says() {
        assert_eq!(next(&[]), Step::Ask(1));
        assert_eq!(next(&[0x12]), Step::Ask(4));
        assert_eq!(
            next(&[0x12, 0x12]),
            Step::Done(Ok(Checked {
                known: true,
                paper_near_end: false
            }))
        );
        assert_eq!(
            next(&[0x12, 0x1E]),
            Step::Done(Ok(Checked {
                known: true,
                paper_near_end: true
            }))
        );
        assert_eq!(next(&[0x12, 0x72]), Step::Done(Err(PrintError::PaperOut)));
        assert_eq!(next(&[0x1A]), Step::Ask(2));
        assert_eq!(next(&[0x1A, 0x16]), Step::Done(Err(PrintError::CoverOpen)));
        assert_eq!(next(&[0x1A, 0x32]), Step::Done(Err(PrintError::PaperOut)));
        assert_eq!(next(&[0x1A, 0x52]), Step::Done(Err(PrintError::Offline)));
        assert_eq!(next(&[0xFF]), Step::Done(Err(PrintError::BadStatus(0xFF))));
    }
}
