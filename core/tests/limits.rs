//! Every limit is exact, and a stream holds a document to it as the whole-file parse does: for
//! every sound fixture and every limit, at the least value the whole-file parse reads the
//! fixture with, a stream reads it alike, and one less refuses it, whole and streamed, with one
//! message (`limit_exceeded` or `nesting_too_deep`, and where). The limits a stream applies per
//! bulk unit (README, "Errors") are held to this on files of one unit or none.

use kohi::{Limit, Limits, ParseOptions};

mod common;
use common::{Everything, everything_streamed, everything_whole};

/// What a limit is set to.
#[derive(Clone, Copy, Debug)]
enum Bound {
    Depth,
    Shape(Limit),
}

impl Bound {
    fn options(self, value: usize) -> ParseOptions {
        match self {
            Bound::Depth => ParseOptions::default().with_max_depth(value),
            Bound::Shape(limit) => ParseOptions::default().with_limits(Limits::default().with(limit, value)),
        }
    }

    fn default_value(self) -> usize {
        match self {
            Bound::Depth => ParseOptions::default().max_depth(),
            Bound::Shape(limit) => Limits::default().get(limit),
        }
    }

    /// Applied per bulk unit by a stream: held alike only on files of one unit or none.
    fn per_unit(self) -> bool {
        matches!(
            self,
            Bound::Shape(
                Limit::Elements | Limit::Patients | Limit::UnknownElements | Limit::Warnings | Limit::KeptBytes
            )
        )
    }
}

fn bounds() -> Vec<Bound> {
    let mut all = vec![Bound::Depth];
    all.extend(Limit::ALL.iter().map(|&l| Bound::Shape(l)));
    all
}

/// The least value of `bound` the whole-file parse reads `bytes` with (it reads them with the
/// default).
fn least(bytes: &[u8], bound: Bound) -> usize {
    let (mut refused, mut read) = (0, bound.default_value());
    if kohi::parse_with(bytes, &bound.options(0)).is_ok() {
        return 0;
    }
    while read - refused > 1 {
        let mid = refused + (read - refused) / 2;
        if kohi::parse_with(bytes, &bound.options(mid)).is_ok() {
            read = mid;
        } else {
            refused = mid;
        }
    }
    read
}

#[test]
fn every_limit_is_held_alike_whole_and_streamed() {
    let mut held = 0;
    for path in kohi_fixtures::xml_cases() {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(read) = everything_whole(&bytes, &ParseOptions::default()) else { continue };
        let bulk = read.patients.len() > 1 || bytes.windows(16).any(|w| w == b"<BulkConfirmUnit");
        for bound in bounds() {
            if bulk && bound.per_unit() {
                continue;
            }
            let value = least(&bytes, bound);
            let at = bound.options(value);
            let whole: Result<Everything, String> = everything_whole(&bytes, &at);
            assert_eq!(whole.as_ref(), Ok(&read), "{name}: {bound:?} at {value}, the least it reads with");
            for chunk in [5, 4096] {
                assert_eq!(everything_streamed(&bytes, chunk, &at), whole, "{name}: {bound:?} at {value}, streamed");
            }
            if value == 0 {
                continue;
            }
            let below = bound.options(value - 1);
            let refused = kohi::parse_with(&bytes, &below).unwrap_err();
            assert!(
                ["limit_exceeded", "nesting_too_deep"].contains(&refused.code()),
                "{name}: {bound:?} at {}: {refused}",
                value - 1
            );
            for chunk in [5, 4096] {
                assert_eq!(
                    everything_streamed(&bytes, chunk, &below),
                    Err(refused.to_string()),
                    "{name}: {bound:?} at {}, streamed",
                    value - 1
                );
            }
            held += 1;
        }
    }
    assert!(held >= 150, "{held} limits held");
}
