//! Building BLE advertising payloads: a sequence of AD structures
//! (`length, type, data...`), at most 31 bytes (Bluetooth Core spec, Vol 3,
//! Part C, section 11).

use libtock_platform::ErrorCode;

/// Largest advertising payload, in bytes.
pub const MAX_PAYLOAD: usize = 31;

/// AD type: flags.
pub const AD_FLAGS: u8 = 0x01;
/// AD type: complete local name.
pub const AD_COMPLETE_LOCAL_NAME: u8 = 0x09;
/// AD type: manufacturer specific data.
pub const AD_MANUFACTURER_DATA: u8 = 0xFF;

/// An advertising payload under construction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdvPayload {
    bytes: [u8; MAX_PAYLOAD],
    len: usize,
}

impl Default for AdvPayload {
    fn default() -> Self {
        Self::new()
    }
}

impl AdvPayload {
    /// An empty payload.
    pub const fn new() -> AdvPayload {
        AdvPayload {
            bytes: [0; MAX_PAYLOAD],
            len: 0,
        }
    }

    /// Appends one AD structure. `Size` if it does not fit; the payload is
    /// then unchanged.
    pub fn push(&mut self, ad_type: u8, data: &[u8]) -> Result<&mut Self, ErrorCode> {
        self.push_parts(ad_type, &[data])
    }

    fn push_parts(&mut self, ad_type: u8, parts: &[&[u8]]) -> Result<&mut Self, ErrorCode> {
        let data_len: usize = parts.iter().map(|p| p.len()).sum();
        // length byte covers the type byte and the data
        let ad_len = u8::try_from(data_len + 1).map_err(|_| ErrorCode::Size)?;
        let end = self.len + 2 + data_len;
        if end > MAX_PAYLOAD {
            return Err(ErrorCode::Size);
        }
        self.bytes[self.len] = ad_len;
        self.bytes[self.len + 1] = ad_type;
        let mut at = self.len + 2;
        for part in parts {
            self.bytes[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        self.len = end;
        Ok(self)
    }

    /// Appends the flags AD structure (e.g. `0x06`: LE general discoverable,
    /// BR/EDR not supported).
    pub fn flags(&mut self, flags: u8) -> Result<&mut Self, ErrorCode> {
        self.push(AD_FLAGS, &[flags])
    }

    /// Appends the complete local name.
    pub fn name(&mut self, name: &str) -> Result<&mut Self, ErrorCode> {
        self.push(AD_COMPLETE_LOCAL_NAME, name.as_bytes())
    }

    /// Appends manufacturer specific data: the 16-bit company identifier
    /// (little endian on air) followed by `data`.
    pub fn manufacturer_data(&mut self, company: u16, data: &[u8]) -> Result<&mut Self, ErrorCode> {
        self.push_parts(AD_MANUFACTURER_DATA, &[&company.to_le_bytes(), data])
    }

    /// The payload's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}
