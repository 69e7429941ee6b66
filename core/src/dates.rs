//! Dates as the files write them. Alone, so that the model and the number checks (which tell a
//! date from a 公費負担者番号) share one reader.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

/// The number spelled by ASCII digits (no allocation: this runs for every date in a file).
pub(crate) fn number(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |n, &b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
}

pub(crate) fn ymd(d: &[u8]) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(number(&d[0..4])? as i32, number(&d[4..6])?, number(&d[6..8])?)
}

/// The date a text spells, in the forms a PMH file may plausibly use: the onshi layout's
/// `YYYYMMDD`, the PMH registration API's `YYYY-MM-DD`, and `YYYY/MM/DD`, with or without the
/// zeros of a one-digit month or day (`2025/4/1`, as Japanese systems often write it), in ASCII or
/// full-width digits; and a date and time as the day it is in Japan ([`in_japan`]). Anything
/// else is not a date (an `invalid_date` warning keeps its text): the PMH layout is not
/// published, and a period kohi cannot read must not pass for one.
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    // `YYYYMMDD` first, nearly every date (`2025/6/4` is eight bytes too).
    if b.len() == 8 && b[4].is_ascii_digit() {
        return ymd(b);
    }
    if !s.is_ascii() {
        // Full-width digits and separators (`２０２５／０４／０１`), read as their ASCII forms.
        let mut ascii = [0u8; 10];
        let mut length = 0;
        for c in s.chars() {
            let byte = match c {
                '０'..='９' => b'0' + (c as u32 - '０' as u32) as u8,
                '／' => b'/',
                '－' | '\u{2212}' => b'-',
                c if c.is_ascii() => c as u8,
                _ => return None,
            };
            *ascii.get_mut(length)? = byte;
            length += 1;
        }
        return parse_date(std::str::from_utf8(&ascii[..length]).ok()?);
    }
    let separator = *b.get(4)?;
    if separator != b'-' && separator != b'/' {
        return None;
    }
    if s.len() > 10 && s.contains(['T', 't', ' ']) {
        return in_japan(s).map(|at| at.date());
    }
    let mut parts = s[5..].split(separator as char);
    let (month, day) = (parts.next()?, parts.next()?);
    let two = |part: &str| (1..=2).contains(&part.len()).then(|| number(part.as_bytes())).flatten();
    if parts.next().is_some() {
        return None;
    }
    NaiveDate::from_ymd_opt(number(&b[..4])? as i32, two(month)?, two(day)?)
}

/// Hours Japan's time is ahead of UTC.
const JST_HOURS: i64 = 9;

/// A date and time (`2025-04-01T00:00:00+09:00`, `2025/4/1 0:00`: how a JSON API or a database
/// may write a date), as the time in Japan, where a certificate's period is counted. With an
/// offset (`Z`, `+09:00`, `-0500`), converted: `2026-03-30T15:00:00.000Z` is midnight of
/// 31 March in Japan (what a JavaScript `Date` of that midnight writes), and
/// `2026-03-31T00:00:00.000Z` (written from the date alone) is 09:00 of the same day, so both
/// read as 31 March. Without one, as written. Seconds and their fraction may be left out.
pub(crate) fn in_japan(s: &str) -> Option<NaiveDateTime> {
    let (written, offset_minutes) = date_and_time(s)?;
    Some(match offset_minutes {
        Some(minutes) => written - Duration::minutes(minutes) + Duration::hours(JST_HOURS),
        None => written,
    })
}

/// A date and time as written, and its offset from UTC in minutes if it has one.
pub(crate) fn date_and_time(s: &str) -> Option<(NaiveDateTime, Option<i64>)> {
    let (date, time) = s.split_once(['T', 't', ' '])?;
    let date = parse_date(date)?;
    let (time, offset_minutes) = split_offset(time)?;
    // Digits, `:` and `.` alone (chrono's parse would skip spaces before a number).
    if !time.starts_with(|c: char| c.is_ascii_digit())
        || !time.bytes().all(|b| b.is_ascii_digit() || b == b':' || b == b'.')
    {
        return None;
    }
    let time =
        NaiveTime::parse_from_str(time, "%H:%M:%S%.f").or_else(|_| NaiveTime::parse_from_str(time, "%H:%M")).ok()?;
    Some((date.and_time(time), offset_minutes))
}

/// A time and its offset from UTC in minutes (`Z`: 0; none: `None`), or `None` if the offset is
/// malformed (`+9`, `+09:0`, or past 14 hours).
fn split_offset(time: &str) -> Option<(&str, Option<i64>)> {
    if let Some(time) = time.strip_suffix(['Z', 'z']) {
        return Some((time, Some(0)));
    }
    let Some(at) = time.rfind(['+', '-']) else { return Some((time, None)) };
    let (time, offset) = time.split_at(at);
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let (hours, minutes) = match offset.as_bytes()[1..] {
        [h1, h2] => (number(&[h1, h2])?, 0),
        [h1, h2, m1, m2] | [h1, h2, b':', m1, m2] => (number(&[h1, h2])?, number(&[m1, m2])?),
        _ => return None,
    };
    if hours > 14 || minutes > 59 {
        return None;
    }
    Some((time, Some(sign * i64::from(hours * 60 + minutes))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn a_date_and_time_is_the_date_in_japan() {
        for (written, date) in [
            ("2025-04-01T00:00:00+09:00", day(2025, 4, 1)),
            ("2025-04-01T23:59:59.999+09:00", day(2025, 4, 1)),
            // Midnight in Japan, as a JavaScript Date writes it; and a date alone written so.
            ("2026-03-30T15:00:00.000Z", day(2026, 3, 31)),
            ("2026-03-31T00:00:00.000Z", day(2026, 3, 31)),
            ("2026-03-31T14:59:59Z", day(2026, 3, 31)),
            ("2026-03-31T15:00:00Z", day(2026, 4, 1)),
            ("2026-03-31t00:00:00z", day(2026, 3, 31)),
            ("2025-04-01T00:00:00+0900", day(2025, 4, 1)),
            ("2025-04-01T00:00+09", day(2025, 4, 1)),
            ("2025-03-31T10:00:00-05:00", day(2025, 4, 1)),
            // No offset: as written.
            ("2025-04-01T00:00:00", day(2025, 4, 1)),
            ("2025-04-01 23:59", day(2025, 4, 1)),
            ("2025/4/1 0:00", day(2025, 4, 1)),
            ("2025/04/01 09:30:00", day(2025, 4, 1)),
        ] {
            assert_eq!(parse_date(written), date, "{written}");
        }
    }

    proptest::proptest! {
        /// Any moment with any offset (±14 h, to the minute) is the day chrono says it is at
        /// +09:00; and the same moment without its offset, the day as written.
        #[test]
        fn the_day_in_japan_is_chronos(days in 0..40_000i64, seconds in 0..86_400u32, minutes in -840..=840i32) {
            use chrono::{FixedOffset, TimeZone};
            let written = (NaiveDate::from_ymd_opt(1950, 1, 1).unwrap() + Duration::days(days))
                .and_time(NaiveTime::from_num_seconds_from_midnight_opt(seconds, 0).unwrap());
            let offset = FixedOffset::east_opt(minutes * 60).unwrap();
            let japan = FixedOffset::east_opt(9 * 3600).unwrap();
            let moment = offset.from_local_datetime(&written).unwrap();
            let text = format!("{}T{}{offset}", written.date(), written.time().format("%H:%M:%S"));
            proptest::prop_assert_eq!(parse_date(&text), Some(moment.with_timezone(&japan).date_naive()), "{}", text);
            let bare = format!("{}T{}", written.date(), written.time().format("%H:%M:%S"));
            proptest::prop_assert_eq!(parse_date(&bare), Some(written.date()));
        }

        /// No text makes the reader panic.
        #[test]
        fn any_text_is_a_date_or_not(text in "[0-9０-９TtZz+:./ -]{0,32}") {
            let _ = parse_date(&text);
        }
    }

    #[test]
    fn a_malformed_date_and_time_is_no_date() {
        for written in [
            "2025-04-01T",
            "2025-04-01T25:00:00",
            "2025-04-01T00:00:00+9",
            "2025-04-01T00:00:00+09:0",
            "2025-04-01T00:00:00+15:00",
            "2025-04-01T00:00:00+09:00:00",
            "2025-04-01T00:00:00ZZ",
            "2025-04-01Tnoon",
            "2025-02-30T00:00:00Z",
            "2025-04-01T00:00:00 +09:00",
            "2025-04-01  00:00",
            "20250401T000000",
        ] {
            assert_eq!(parse_date(written), None, "{written}");
        }
    }
}
