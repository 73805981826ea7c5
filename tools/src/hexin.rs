//! Hexadecimal byte strings as the command line takes them (`femto run --ctx`,
//! `femto plugin`).

/// Parses hex bytes: either whitespace-separated tokens (`"01 02 ff"`), or
/// one run of digits (`"0102ff"`), or a mix; each token must have an even
/// number of hex digits. An optional `0x` prefix per token is accepted.
/// The empty string gives no bytes.
pub fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for tok in s.split_whitespace() {
        let t = tok.strip_prefix("0x").or_else(|| tok.strip_prefix("0X")).unwrap_or(tok);
        if t.len() % 2 != 0 {
            return Err(format!("hex token `{tok}` has an odd number of digits"));
        }
        let b = t.as_bytes();
        for pair in b.chunks_exact(2) {
            let hi = digit(pair[0]).ok_or_else(|| format!("`{tok}` is not hexadecimal"))?;
            let lo = digit(pair[1]).ok_or_else(|| format!("`{tok}` is not hexadecimal"))?;
            out.push(hi << 4 | lo);
        }
    }
    Ok(out)
}

fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Reads a `--ctx` argument: `@FILE` reads the file's raw bytes, anything
/// else is parsed with [`parse_hex`].
pub fn ctx_arg(arg: &str) -> Result<Vec<u8>, String> {
    match arg.strip_prefix('@') {
        Some(path) => std::fs::read(path).map_err(|e| format!("cannot read context file {path}: {e}")),
        None => parse_hex(arg).map_err(|e| format!("bad --ctx: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(parse_hex("").unwrap(), Vec::<u8>::new());
        assert_eq!(parse_hex("01 02 ff").unwrap(), vec![1, 2, 255]);
        assert_eq!(parse_hex("0102FF").unwrap(), vec![1, 2, 255]);
        assert_eq!(parse_hex(" 0x0a\n0B\t").unwrap(), vec![10, 11]);
    }

    #[test]
    fn errors() {
        assert!(parse_hex("1").unwrap_err().contains("odd"));
        assert!(parse_hex("zz").unwrap_err().contains("not hexadecimal"));
        assert!(parse_hex("é1").is_err());
    }
}
