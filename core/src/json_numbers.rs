//! JSON numbers kept as they were written, for the Web API's JSON form.
//!
//! serde_json gives a number that is not a 64-bit integer (a fraction, an exponent, an integer
//! of more digits) as an `f64`, whose text is not the one sent: `0.30` came back as `0.3`, `1e3`
//! as `1000`, and a 30-digit number as `123456789012345680000000000000`, in `raw` too. Such a
//! number is quoted here before the JSON is read, so it reaches the XML as it was written, as
//! every value of a result does. A plain integer of up to 18 digits (exact as an `i64`) is left
//! alone, so a file without the others is read as it is, without a copy.

use std::borrow::Cow;

/// The JSON with its inexact numbers quoted, and where the quotes went (to give an error's
/// column in the text as sent).
pub(crate) struct Quoted<'a> {
    pub(crate) json: Cow<'a, str>,
    /// The byte offset, in `json`, of each quote added, in order.
    added: Vec<usize>,
}

impl<'a> Quoted<'a> {
    /// `json` with every number token that an `f64` would not give back quoted. A token that
    /// is not a JSON number (`1.2.3`, `01`) is left as it is, for serde_json to refuse: quoting
    /// it would make a malformed document read.
    pub(crate) fn new(json: &'a str) -> Self {
        let bytes = json.as_bytes();
        let mut tokens = Vec::new();
        // The containers open around the byte (`{` or `[`), and the last byte outside strings
        // and white space: a number is quoted only where a value stands (after `:`, or first or
        // after `,` in an array), never where an object's key does (`{1.5:2}` is no JSON, and
        // quoted it would be).
        let mut open = Vec::new();
        let mut last = 0u8;
        let (mut i, mut in_string) = (0, false);
        while i < bytes.len() {
            let b = bytes[i];
            if in_string {
                // To the string's next quote or escape at once: most of a document is strings.
                match memchr::memchr2(b'"', b'\\', &bytes[i..]).map(|n| i + n) {
                    Some(at) if bytes[at] == b'\\' => i = at + 2, // the escaped byte is never the end
                    Some(at) => (in_string, i) = (false, at + 1),
                    None => i = bytes.len(),
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => open.push(b),
                b'}' | b']' => {
                    open.pop();
                }
                b'-' | b'0'..=b'9' => {
                    let end = i + bytes[i..]
                        .iter()
                        .take_while(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                        .count();
                    let token = &json[i..end];
                    let value = last == b':' || (open.last() == Some(&b'[') && matches!(last, b'[' | b','));
                    if value && is_number(token) && !is_exact_integer(token) {
                        tokens.push(i..end);
                    }
                    (last, i) = (b'0', end);
                    continue;
                }
                _ => {}
            }
            if !b.is_ascii_whitespace() {
                last = b;
            }
            i += 1;
        }
        if tokens.is_empty() {
            return Quoted { json: Cow::Borrowed(json), added: Vec::new() };
        }
        let mut out = String::with_capacity(json.len() + 2 * tokens.len());
        let mut added = Vec::with_capacity(2 * tokens.len());
        let mut at = 0;
        for token in tokens {
            out.push_str(&json[at..token.start]);
            added.push(out.len());
            out.push('"');
            out.push_str(&json[token.clone()]);
            added.push(out.len());
            out.push('"');
            at = token.end;
        }
        out.push_str(&json[at..]);
        Quoted { json: Cow::Owned(out), added }
    }

    /// The 1-based byte column, in the JSON as sent, of serde_json's (`line`, `column`) in the
    /// quoted text (serde_json counts bytes from the line's start): the quotes added before it
    /// on its line taken away. Lines are the same: no quote is a line end.
    pub(crate) fn original_column(&self, line: usize, column: usize) -> usize {
        if self.added.is_empty() || line == 0 {
            return column;
        }
        let line_start = crate::decode::line_start(self.json.as_bytes(), line);
        let at = line_start + column;
        let before = self.added.iter().filter(|&&q| q >= line_start && q < at).count();
        column - before
    }

    /// The offset in the JSON as sent of byte `at` of the quoted text: the quotes added before
    /// it taken off.
    pub(crate) fn original_offset(&self, at: usize) -> usize {
        at - self.added.partition_point(|&q| q < at)
    }
}

/// JSON's number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn is_number(token: &str) -> bool {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let rest = token.strip_prefix('-').unwrap_or(token);
    let int = digits(rest);
    if int == 0 || (int > 1 && rest.starts_with('0')) {
        return false;
    }
    let mut rest = &rest[int..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let n = digits(fraction);
        if n == 0 {
            return false;
        }
        rest = &fraction[n..];
    }
    if let Some(exponent) = rest.strip_prefix(['e', 'E']) {
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        let n = digits(exponent);
        if n == 0 {
            return false;
        }
        rest = &exponent[n..];
    }
    rest.is_empty()
}

/// An integer serde_json gives as an `i64` or `u64` whose text is the token's: no fraction or
/// exponent, at most 18 digits (every such number fits an `i64`), and not `-0` (read as `0`).
fn is_exact_integer(token: &str) -> bool {
    let digits = token.strip_prefix('-').unwrap_or(token);
    digits.len() <= 18 && digits.bytes().all(|b| b.is_ascii_digit()) && token != "-0"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inexact_numbers_are_quoted_and_nothing_else() {
        let json = r#"{"A":[0.30,1e3,-0,7,-12,123456789012345678901234567890,"1.5 \" 2.5",true,null],"B":18446744073709551615}"#;
        assert_eq!(
            Quoted::new(json).json,
            r#"{"A":["0.30","1e3","-0",7,-12,"123456789012345678901234567890","1.5 \" 2.5",true,null],"B":"18446744073709551615"}"#
        );
        // Nothing to quote: the text itself, not a copy.
        assert!(matches!(Quoted::new(r#"{"A":[1,"0.5",-3]}"#).json, Cow::Borrowed(_)));
        // Not JSON numbers, or numbers where a key stands: left for serde_json to refuse.
        for bad in ["1.2.3", "01", "1.", ".5", "1e", "--1", "1e+", "-"] {
            let json = format!(r#"{{"A":{bad}}}"#);
            assert_eq!(Quoted::new(&json).json, json, "{bad}");
        }
        for bad in [r#"{1.5:2}"#, r#"{"A":1,2.5:3}"#, r#"[1 2.5]"#, r#"{"A":[1,{2.5:1}]}"#] {
            assert_eq!(Quoted::new(bad).json, bad);
        }
    }

    /// Texts shaped like JSON, a little wrong now and then: values, arrays and objects whose
    /// keys may be numbers, whose separators may be missing.
    fn near_json() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let atom = proptest::sample::select(vec![
            "1",
            "-0",
            "1.5",
            "0.30",
            "1e3",
            "01",
            "1.",
            "123456789012345678901234567890",
            "\"a\"",
            "\"\\\"1.5\"",
            "true",
            "null",
            "x",
        ])
        .prop_map(str::to_owned);
        atom.prop_recursive(4, 32, 4, |inner| {
            let separator = proptest::sample::select(vec![",", ",", ",", " ", ""]);
            prop_oneof![
                proptest::collection::vec((inner.clone(), separator.clone()), 0..4).prop_map(|items| format!(
                    "[{}]",
                    items.iter().map(|(v, s)| format!("{v}{s}")).collect::<String>()
                )),
                proptest::collection::vec((inner.clone(), inner, separator), 0..4).prop_map(|members| {
                    format!("{{{}}}", members.iter().map(|(k, v, s)| format!("{k}:{v}{s}")).collect::<String>())
                }),
            ]
        })
    }

    proptest::proptest! {
        /// Quoting never makes a malformed document read, nor a sound one fail: the same
        /// verdict from serde_json on the syntax (`IgnoredAny`: a number past an `f64`'s range,
        /// `1e400`, is sound JSON, which serde_json refuses only when it makes an `f64` of it;
        /// quoted, it keeps its text).
        #[test]
        fn quoting_keeps_whether_the_json_reads(json in near_json()) {
            let quoted = Quoted::new(&json);
            let reads = |text: &str| serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
            proptest::prop_assert_eq!(reads(&quoted.json), reads(&json), "{} → {}", json, quoted.json);
        }
    }

    #[test]
    fn columns_are_those_of_the_text_as_sent() {
        let json = "{\"A\":\n[0.5, 2.5, x]}";
        let quoted = Quoted::new(json);
        assert_eq!(quoted.json, "{\"A\":\n[\"0.5\", \"2.5\", x]}");
        let error = serde_json::from_str::<serde_json::Value>(&quoted.json).unwrap_err();
        // `x` is byte 12 of line 2 as sent (serde_json counts bytes from the line's start).
        assert_eq!((error.line(), quoted.original_column(error.line(), error.column())), (2, 12));
        let error = serde_json::from_str::<serde_json::Value>(json).unwrap_err();
        assert_eq!((error.line(), error.column()), (2, 12));
    }
}
