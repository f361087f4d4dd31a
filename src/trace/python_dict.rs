//! Parser for Python `str(dict)` text, as StarCompactor writes its PROPERTIES column.
//!
//! StarCompactor runs every value through `str()`, so PROPERTIES is Python syntax, not JSON: single-quoted
//! strings, `None`, `True`/`False`. Only flat dicts carry data fleetsim reads; a nested dict, list, tuple or
//! call such as `Decimal('12')` is kept as its source text ([`PyValue::Opaque`]) so that it never stops a
//! trace from loading.

use std::borrow::Cow;

/// One value of a Python dict literal.
#[derive(Clone, Debug, PartialEq)]
pub enum PyValue {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    None,
    /// A nested container, a call, or an integer too large for `i64`, as written.
    Opaque(String),
}

impl PyValue {
    /// The value as text for numeric parsing, or `None` for Python `None`.
    pub fn as_text(&self) -> Option<Cow<'_, str>> {
        match self {
            PyValue::Str(text) | PyValue::Opaque(text) => Some(Cow::Borrowed(text.as_str())),
            PyValue::Int(value) => Some(Cow::Owned(value.to_string())),
            PyValue::Float(value) => Some(Cow::Owned(value.to_string())),
            PyValue::Bool(true) => Some(Cow::Borrowed("True")),
            PyValue::Bool(false) => Some(Cow::Borrowed("False")),
            PyValue::None => None,
        }
    }
}

/// Parses `{'key': value, ...}` into its entries, in the order written. Empty (or all-blank) text is an empty
/// dict, because StarCompactor writes an empty PROPERTIES cell for bare-metal instances. The error says what
/// was expected at which character (1-based).
pub fn parse(text: &str) -> Result<Vec<(String, PyValue)>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut parser = Parser { text, pos: 0 };
    parser.skip_blanks();
    parser.expect(b'{', "'{' to open the dict")?;
    let mut entries = Vec::new();
    parser.skip_blanks();
    if parser.eat(b'}') {
        return parser.finish(entries);
    }
    loop {
        parser.skip_blanks();
        let key = match parser.value()? {
            PyValue::Str(key) => key,
            PyValue::None => "None".to_string(),
            other => other.as_text().map(|text| text.into_owned()).unwrap_or_default(),
        };
        parser.skip_blanks();
        parser.expect(b':', "':' after a key")?;
        parser.skip_blanks();
        let value = parser.value()?;
        entries.push((key, value));
        parser.skip_blanks();
        if parser.eat(b',') {
            parser.skip_blanks();
            if parser.eat(b'}') {
                return parser.finish(entries);
            }
            continue;
        }
        if parser.eat(b'}') {
            return parser.finish(entries);
        }
        return Err(parser.error("',' or '}' after a value"));
    }
}

/// Looks up `key` in parsed entries (the last one wins, as in Python).
pub fn get<'a>(entries: &'a [(String, PyValue)], key: &str) -> Option<&'a PyValue> {
    entries.iter().rev().find(|(name, _)| name == key).map(|(_, value)| value)
}

struct Parser<'a> {
    text: &'a str,
    /// Byte offset of the next unread character.
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), String> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn finish(mut self, entries: Vec<(String, PyValue)>) -> Result<Vec<(String, PyValue)>, String> {
        self.skip_blanks();
        if self.pos < self.text.len() {
            return Err(self.error("nothing after the closing '}'"));
        }
        Ok(entries)
    }

    /// "expected X at character N, found Y", with N counted in characters from 1.
    fn error(&self, expected: &str) -> String {
        let character = self.text[..self.pos].chars().count() + 1;
        match self.text[self.pos..].chars().next() {
            Some(found) => format!("expected {expected} at character {character}, found {found:?}"),
            None => {
                format!("expected {expected} at character {character}, found the end of the text")
            }
        }
    }

    fn value(&mut self) -> Result<PyValue, String> {
        match self.peek() {
            Some(quote @ (b'\'' | b'"')) => {
                self.pos += 1;
                self.string(quote).map(PyValue::Str)
            }
            // Python 2 unicode and bytes literals: u'x', b'x'.
            Some(b'u' | b'b' | b'U' | b'B') if matches!(self.text.as_bytes().get(self.pos + 1), Some(b'\'' | b'"')) => {
                self.pos += 1;
                self.value()
            }
            Some(b'{' | b'[' | b'(') => self.opaque_container().map(PyValue::Opaque),
            Some(b'-' | b'+' | b'.' | b'0'..=b'9') => self.number(),
            Some(byte) if byte.is_ascii_alphabetic() || byte == b'_' => self.name(),
            _ => Err(self.error("a value (a quoted string, a number, None, True or False)")),
        }
    }

    /// Reads a string body after its opening quote, decoding Python's backslash escapes.
    fn string(&mut self, quote: u8) -> Result<String, String> {
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let Some(stop) = rest.find([quote as char, '\\']) else {
                self.pos = self.text.len();
                return Err(self.error(&format!("the closing {}", quote as char)));
            };
            out.push_str(&rest[..stop]);
            self.pos += stop;
            if self.eat(quote) {
                return Ok(out);
            }
            // A backslash.
            self.pos += 1;
            let Some(escaped) = self.text[self.pos..].chars().next() else {
                return Err(self.error("a character after '\\'"));
            };
            self.pos += escaped.len_utf8();
            match escaped {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                '\\' | '\'' | '"' => out.push(escaped),
                'x' => out.push(self.hex_escape(2)?),
                'u' => out.push(self.hex_escape(4)?),
                'U' => out.push(self.hex_escape(8)?),
                // Python keeps unknown escapes as written.
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
        }
    }

    fn hex_escape(&mut self, digits: usize) -> Result<char, String> {
        let hex = self.text.get(self.pos..self.pos + digits).filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()));
        let code = hex.and_then(|hex| u32::from_str_radix(hex, 16).ok()).and_then(char::from_u32);
        match code {
            Some(character) => {
                self.pos += digits;
                Ok(character)
            }
            None => Err(self.error(&format!("{digits} hexadecimal digits of a valid character escape"))),
        }
    }

    fn number(&mut self) -> Result<PyValue, String> {
        let start = self.pos;
        while matches!(self.peek(), Some(b'-' | b'+' | b'.' | b'_' | b'e' | b'E' | b'0'..=b'9')) {
            self.pos += 1;
        }
        let literal = &self.text[start..self.pos];
        let digits: Cow<str> =
            if literal.contains('_') { Cow::Owned(literal.replace('_', "")) } else { Cow::Borrowed(literal) };
        let is_integer = !digits.contains(['.', 'e', 'E']);
        if is_integer {
            if let Ok(value) = digits.parse::<i64>() {
                return Ok(PyValue::Int(value));
            }
            if digits.trim_start_matches(['-', '+']).bytes().all(|b| b.is_ascii_digit()) && digits.len() > 1 {
                return Ok(PyValue::Opaque(literal.to_string()));
            }
        } else if let Ok(value) = digits.parse::<f64>() {
            return Ok(PyValue::Float(value));
        }
        // Also `-inf`.
        if literal == "-" && self.text[self.pos..].starts_with("inf") {
            self.pos += 3;
            return Ok(PyValue::Float(f64::NEG_INFINITY));
        }
        self.pos = start;
        Err(self.error("a number"))
    }

    /// `None`, `True`, `False`, `nan`, `inf`, or a call such as `Decimal('12')` (kept as text).
    fn name(&mut self) -> Result<PyValue, String> {
        let start = self.pos;
        while matches!(self.peek(), Some(byte) if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'.') {
            self.pos += 1;
        }
        match &self.text[start..self.pos] {
            "None" => Ok(PyValue::None),
            "True" => Ok(PyValue::Bool(true)),
            "False" => Ok(PyValue::Bool(false)),
            "nan" => Ok(PyValue::Float(f64::NAN)),
            "inf" => Ok(PyValue::Float(f64::INFINITY)),
            _ if self.peek() == Some(b'(') => {
                self.opaque_container()?;
                Ok(PyValue::Opaque(self.text[start..self.pos].to_string()))
            }
            _ => {
                self.pos = start;
                Err(self.error("a value (a quoted string, a number, None, True or False)"))
            }
        }
    }

    /// Skips a balanced `{...}`, `[...]` or `(...)`, strings included, and returns its text.
    fn opaque_container(&mut self) -> Result<String, String> {
        let start = self.pos;
        let mut closers: Vec<u8> = Vec::new();
        loop {
            match self.peek() {
                None => {
                    let expected = closers.last().map_or(')', |&closer| closer as char);
                    return Err(self.error(&format!("'{expected}' to close the nested value")));
                }
                Some(quote @ (b'\'' | b'"')) => {
                    self.pos += 1;
                    self.string(quote)?;
                    continue;
                }
                Some(b'{') => closers.push(b'}'),
                Some(b'[') => closers.push(b']'),
                Some(b'(') => closers.push(b')'),
                Some(closer @ (b'}' | b']' | b')')) => {
                    if closers.pop() != Some(closer) {
                        return Err(self.error("a matching bracket"));
                    }
                    if closers.is_empty() {
                        self.pos += 1;
                        return Ok(self.text[start..self.pos].to_string());
                    }
                }
                Some(_) => {}
            }
            self.pos += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_scalar_kinds() {
        let entries =
            parse(r#"{'key': 'value', 'k2': 12, 'k3': None, 'k4': 1.5, 'k5': True, "k6": "d\"q", 'k7': -3}"#).unwrap();
        assert_eq!(
            entries,
            vec![
                ("key".to_string(), PyValue::Str("value".to_string())),
                ("k2".to_string(), PyValue::Int(12)),
                ("k3".to_string(), PyValue::None),
                ("k4".to_string(), PyValue::Float(1.5)),
                ("k5".to_string(), PyValue::Bool(true)),
                ("k6".to_string(), PyValue::Str("d\"q".to_string())),
                ("k7".to_string(), PyValue::Int(-3)),
            ]
        );
    }

    #[test]
    fn empty_text_and_empty_dict_are_empty() {
        assert_eq!(parse("").unwrap(), vec![]);
        assert_eq!(parse("   ").unwrap(), vec![]);
        assert_eq!(parse("{}").unwrap(), vec![]);
        assert_eq!(parse(" { } ").unwrap(), vec![]);
    }

    #[test]
    fn decodes_escapes() {
        let entries = parse(r"{'a': 'it\'s', 'b': 'back\\slash', 'c': '\x41\u00e9\n', 'd': '\q'}").unwrap();
        assert_eq!(get(&entries, "a"), Some(&PyValue::Str("it's".to_string())));
        assert_eq!(get(&entries, "b"), Some(&PyValue::Str("back\\slash".to_string())));
        assert_eq!(get(&entries, "c"), Some(&PyValue::Str("Aé\n".to_string())));
        assert_eq!(get(&entries, "d"), Some(&PyValue::Str("\\q".to_string())));
    }

    #[test]
    fn keeps_nested_values_and_calls_as_text() {
        let entries =
            parse("{'n': {'x': [1, '}'], 'y': (2,)}, 'd': Decimal('12.5'), 'u': u'py2', 'after': False,}").unwrap();
        assert_eq!(get(&entries, "n"), Some(&PyValue::Opaque("{'x': [1, '}'], 'y': (2,)}".to_string())));
        assert_eq!(get(&entries, "d"), Some(&PyValue::Opaque("Decimal('12.5')".to_string())));
        assert_eq!(get(&entries, "u"), Some(&PyValue::Str("py2".to_string())));
        assert_eq!(get(&entries, "after"), Some(&PyValue::Bool(false)));
    }

    #[test]
    fn real_bare_metal_properties() {
        let text = "{'placement.rack': 6, 'architecture.smt_size': '48', 'main_memory.ram_size': '134956859392'}";
        let entries = parse(text).unwrap();
        assert_eq!(get(&entries, "placement.rack"), Some(&PyValue::Int(6)));
        assert_eq!(get(&entries, "architecture.smt_size").and_then(PyValue::as_text).as_deref(), Some("48"));
        assert_eq!(get(&entries, "missing"), None);
    }

    #[test]
    fn errors_say_what_was_expected_where() {
        assert_eq!(parse("{'a' 1}").unwrap_err(), "expected ':' after a key at character 6, found '1'");
        assert_eq!(
            parse("{'a': 1").unwrap_err(),
            "expected ',' or '}' after a value at character 8, found the end of the text"
        );
        assert!(parse("{'a': 'open").unwrap_err().contains("the closing '"));
        assert!(parse("[1]").unwrap_err().starts_with("expected '{' to open the dict at character 1"));
        assert!(parse("{'a': four}").unwrap_err().contains("at character 7"));
        assert!(parse("{'a': 1} x").unwrap_err().contains("nothing after the closing"));
        assert!(parse("{'a': (1]}").unwrap_err().contains("matching bracket"));
        assert!(parse("{'a': '\\x4'}").unwrap_err().contains("hexadecimal"));
    }

    #[test]
    fn huge_integers_stay_text() {
        let entries = parse("{'big': 123456789012345678901234567890}").unwrap();
        assert_eq!(get(&entries, "big"), Some(&PyValue::Opaque("123456789012345678901234567890".to_string())));
    }
}
