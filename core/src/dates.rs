//! Dates as the files write them. Alone, so that the model and the number checks (which tell a
//! date from a 公費負担者番号) share one reader.

use chrono::NaiveDate;

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
/// full-width digits. Anything else is not a date (an `invalid_date` warning keeps its text):
/// the PMH layout is not published, and a period kohi cannot read must not pass for one.
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
    let mut parts = s[5..].split(separator as char);
    let (month, day) = (parts.next()?, parts.next()?);
    let two = |part: &str| (1..=2).contains(&part.len()).then(|| number(part.as_bytes())).flatten();
    if parts.next().is_some() {
        return None;
    }
    NaiveDate::from_ymd_opt(number(&b[..4])? as i32, two(month)?, two(day)?)
}
