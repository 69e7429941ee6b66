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
    if b.len() == 8 && b[0].is_ascii_digit() && b[4].is_ascii_digit() {
        return ymd(b);
    }
    if b.len() == 14 {
        // `YYYYMMDDHHmmss`, the onshi layout's form of a time, for a date.
        return compact_date_time(b).map(|at| at.date());
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
                '．' => b'.',
                c if c.is_ascii() => c as u8,
                // 和暦 or 年月日 (`令和7年4月1日`, `Ｒ７．４．１`).
                _ => return japanese(s),
            };
            *ascii.get_mut(length)? = byte;
            length += 1;
        }
        return parse_date(std::str::from_utf8(&ascii[..length]).ok()?);
    }
    if b.first().is_some_and(u8::is_ascii_alphabetic) {
        return japanese(s); // `R7.4.1`
    }
    let separator = *b.get(4)?;
    if !matches!(separator, b'-' | b'/' | b'.') {
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

/// The eras a date of a living person or a certificate may be written in: name, letter, the
/// year before its first.
const ERAS: [(&str, char, i32); 5] =
    [("明治", 'M', 1867), ("大正", 'T', 1911), ("昭和", 'S', 1925), ("平成", 'H', 1988), ("令和", 'R', 2018)];

/// A date in 和暦 or written with 年月日: `令和7年4月1日`, `令和元年5月1日`, `R7.4.1`,
/// `R07/04/01`, `Ｈ３１．４．３０`, `2025年4月1日`, in ASCII or full-width digits. An era's year
/// is counted from its first (元年), whatever the month: `平成31年5月1日` is 2019-05-01, as
/// systems wrote it in the weeks after the era changed.
fn japanese(s: &str) -> Option<NaiveDate> {
    let era = ERAS.iter().find_map(|&(name, letter, before)| {
        let wide = char::from_u32(letter as u32 - 'A' as u32 + 'Ａ' as u32)?;
        let rest = s.strip_prefix(name).or_else(|| s.strip_prefix([letter, letter.to_ascii_lowercase(), wide]))?;
        Some((before, rest))
    });
    let (before, rest) = match era {
        Some((before, rest)) => (Some(before), rest),
        None => (None, s),
    };
    // Year, month, day: their values and how many digits each had.
    let (mut parts, mut digits) = ([0u32; 3], [0usize; 3]);
    let mut at = 0;
    // `年` (then `月`, and `日` at the end) or one of `.`, `/`, `-` between the parts.
    let mut separator = None;
    let mut first_year = false;
    let mut day_mark = false;
    for c in rest.chars() {
        if day_mark {
            return None;
        }
        let digit = match c {
            '0'..='9' => Some(c as u32 - '0' as u32),
            '０'..='９' => Some(c as u32 - '０' as u32),
            _ => None,
        };
        if let Some(d) = digit {
            if digits[at] == 4 || (at == 0 && first_year) {
                return None;
            }
            parts[at] = parts[at] * 10 + d;
            digits[at] += 1;
            continue;
        }
        if c == '元' && at == 0 && digits[0] == 0 && before.is_some() {
            (parts[0], digits[0], first_year) = (1, 1, true);
            continue;
        }
        if c == '日' && at == 2 && digits[2] > 0 && separator == Some('年') {
            day_mark = true;
            continue;
        }
        let this = match c {
            '年' if at == 0 => '年',
            '月' if at == 1 => '年',
            '.' | '．' => '.',
            '/' | '／' => '/',
            '-' | '－' => '-',
            _ => return None,
        };
        if at == 2 || digits[at] == 0 || separator.is_some_and(|s| s != this) {
            return None;
        }
        separator = Some(this);
        at += 1;
    }
    if at != 2 || !(1..=2).contains(&digits[1]) || !(1..=2).contains(&digits[2]) {
        return None;
    }
    let year = match before {
        Some(before) if (1..=2).contains(&digits[0]) && parts[0] > 0 => before + parts[0] as i32,
        // Without an era: `2025年4月1日` (`2025.4.1` and the others are read before this).
        None if digits[0] == 4 && separator == Some('年') => parts[0] as i32,
        _ => return None,
    };
    NaiveDate::from_ymd_opt(year, parts[1], parts[2])
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
    date_and_time(s).map(|(written, offset_minutes)| japan_time(written, offset_minutes))
}

/// A time written with this offset from UTC (in minutes; none: as written), in Japan.
pub(crate) fn japan_time(written: NaiveDateTime, offset_minutes: Option<i64>) -> NaiveDateTime {
    match offset_minutes {
        Some(minutes) => written - Duration::minutes(minutes) + Duration::hours(JST_HOURS),
        None => written,
    }
}

/// `YYYYMMDDHHmmss` (the onshi layout's time stamps, `20250604101540`).
pub(crate) fn compact_date_time(d: &[u8]) -> Option<NaiveDateTime> {
    if d.len() != 14 {
        return None;
    }
    let time = NaiveTime::from_hms_opt(number(&d[8..10])?, number(&d[10..12])?, number(&d[12..14])?)?;
    Some(ymd(d)?.and_time(time))
}

/// A date and time as written, and its offset from UTC in minutes if it has one.
pub(crate) fn date_and_time(s: &str) -> Option<(NaiveDateTime, Option<i64>)> {
    if let Some(at) = compact_date_time(s.as_bytes()) {
        return Some((at, None));
    }
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

    /// Each text reads as its day.
    fn read_as(cases: &[(&str, Option<NaiveDate>)]) {
        for &(written, date) in cases {
            assert_eq!(parse_date(written), date, "{written}");
        }
    }

    /// No text is a date.
    fn no_dates(cases: &[&str]) {
        for written in cases {
            assert_eq!(parse_date(written), None, "{written}");
        }
    }

    #[test]
    fn a_date_and_time_is_the_date_in_japan() {
        read_as(&[
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
            // The onshi layout's time stamp.
            ("20250401000000", day(2025, 4, 1)),
            ("20260331235959", day(2026, 3, 31)),
        ]);
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
    fn a_date_in_wareki_or_with_nen_getsu_hi_is_its_day() {
        read_as(&[
            ("令和7年4月1日", day(2025, 4, 1)),
            ("令和７年４月１日", day(2025, 4, 1)),
            ("令和元年5月1日", day(2019, 5, 1)),
            ("令和7年4月1", day(2025, 4, 1)),
            ("2025年4月1", day(2025, 4, 1)),
            ("平成31年4月30日", day(2019, 4, 30)),
            ("平成31年5月1日", day(2019, 5, 1)),
            ("昭和64年1月7日", day(1989, 1, 7)),
            ("大正15年12月24日", day(1926, 12, 24)),
            ("明治45年7月29日", day(1912, 7, 29)),
            ("R7.4.1", day(2025, 4, 1)),
            ("R07.04.01", day(2025, 4, 1)),
            ("r7/4/1", day(2025, 4, 1)),
            ("H31-04-30", day(2019, 4, 30)),
            ("Ｒ７．４．１", day(2025, 4, 1)),
            ("S40.1.15", day(1965, 1, 15)),
            ("2025年4月1日", day(2025, 4, 1)),
            ("２０２５年０４月０１日", day(2025, 4, 1)),
            ("2025.04.01", day(2025, 4, 1)),
            ("2025.4.1", day(2025, 4, 1)),
            ("２０２５．０４．０１", day(2025, 4, 1)),
        ]);
        no_dates(&[
            "令和7年4月",
            "令和7年4月1日日",
            "令和7年13月1日",
            "令和0年4月1日",
            "令和元1年4月1日",
            "令和100年4月1日",
            "令和7.4月1日",
            "令和7年4.1",
            "令和7年4月1日 ",
            "元年4月1日",
            "R7.4",
            "R7.4/1",
            "X7.4.1",
            "R.4.1",
            "2025年4月",
            "25年4月1日",
            "2025.4",
            "1234.5",
            "2025.4.1.2",
            "令和7年4月1日T00:00",
        ]);
    }

    #[test]
    fn a_malformed_date_and_time_is_no_date() {
        no_dates(&[
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
            "20250401240000",
            "2025040100000",
            "202504010000000",
        ]);
    }
}
