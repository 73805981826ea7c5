//! Delivery framing: how an envelope travels to the device's updater app,
//! over a serial line (one frame) or over UDP (numbered chunks). The host
//! side (`femto deploy`) writes these; an updater app reassembles them with
//! [`SerialReceiver`] or [`UdpReassembler`] into a buffer it owns and hands
//! the envelope to the kernel (command 12). The framing has no integrity
//! check of its own: whatever is lost, cut or altered in transit makes the
//! kernel refuse the envelope.
//!
//! * **Serial frame**: `"FCUP"`, the envelope length (u32 little endian),
//!   the envelope. A frame of length 0 means "end of session". Bytes before
//!   the magic are skipped (console noise).
//! * **UDP datagram**: `"FU"`, transfer id (u16 LE), offset (u16 LE), total
//!   length (u16 LE), then at most [`UDP_CHUNK`] envelope bytes. Chunks may
//!   come in any order and more than once; a new transfer id starts over.

/// Magic of a serial frame.
pub const SERIAL_MAGIC: [u8; 4] = *b"FCUP";
/// Bytes of the serial frame header.
pub const SERIAL_HEADER_LEN: usize = 8;
/// Magic of a UDP datagram.
pub const UDP_MAGIC: [u8; 2] = *b"FU";
/// Bytes of the UDP datagram header.
pub const UDP_HEADER_LEN: usize = 8;
/// Largest envelope bytes in one datagram (with the header: 72 bytes of UDP
/// payload, which fits one 802.15.4 frame after 6LoWPAN compression).
pub const UDP_CHUNK: usize = 64;

/// The serial frame header for an envelope of `len` bytes.
pub fn serial_header(len: u32) -> [u8; SERIAL_HEADER_LEN] {
    let mut h = [0u8; SERIAL_HEADER_LEN];
    h[..4].copy_from_slice(&SERIAL_MAGIC);
    h[4..].copy_from_slice(&len.to_le_bytes());
    h
}

/// The header of the UDP datagram carrying `envelope[offset..]`.
pub fn udp_header(transfer: u16, offset: u16, total: u16) -> [u8; UDP_HEADER_LEN] {
    let mut h = [0u8; UDP_HEADER_LEN];
    h[..2].copy_from_slice(&UDP_MAGIC);
    h[2..4].copy_from_slice(&transfer.to_le_bytes());
    h[4..6].copy_from_slice(&offset.to_le_bytes());
    h[6..8].copy_from_slice(&total.to_le_bytes());
    h
}

/// What [`SerialReceiver::push`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The frame is not complete yet.
    NeedMore,
    /// A whole envelope of this many bytes is in [`SerialReceiver::frame`].
    Complete(usize),
    /// An end-of-session frame (length 0).
    End,
    /// A frame announced more bytes than the buffer holds; it is skipped.
    TooLarge(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Matching the magic; the number of magic bytes seen.
    Magic(usize),
    /// Reading the length; the bytes seen so far.
    Length(usize, [u8; 4]),
    /// Reading `len` envelope bytes, `got` so far.
    Body { len: usize, got: usize },
    /// Skipping the body of a too-large frame.
    Skip { left: usize },
    /// A frame is complete and waits in the buffer.
    Done(usize),
}

/// Reassembles serial frames into a caller-provided buffer.
pub struct SerialReceiver<'b> {
    buf: &'b mut [u8],
    state: State,
}

impl<'b> SerialReceiver<'b> {
    /// A receiver for envelopes of at most `buf.len()` bytes.
    pub fn new(buf: &'b mut [u8]) -> Self {
        SerialReceiver {
            buf,
            state: State::Magic(0),
        }
    }

    /// Feeds received bytes; returns how many were used and the progress.
    /// After `Complete`, `End` or `TooLarge` the rest of `data` is not used:
    /// take the frame, then push the remaining bytes again.
    pub fn push(&mut self, data: &[u8]) -> (usize, Progress) {
        if let State::Done(_) = self.state {
            self.state = State::Magic(0);
        }
        for (i, &b) in data.iter().enumerate() {
            let used = i + 1;
            self.state = match self.state {
                State::Magic(n) => {
                    if SERIAL_MAGIC.get(n) == Some(&b) {
                        if n + 1 == SERIAL_MAGIC.len() {
                            State::Length(0, [0; 4])
                        } else {
                            State::Magic(n + 1)
                        }
                    } else if SERIAL_MAGIC.first() == Some(&b) {
                        State::Magic(1)
                    } else {
                        State::Magic(0)
                    }
                }
                State::Length(n, mut l) => {
                    if let Some(slot) = l.get_mut(n) {
                        *slot = b;
                    }
                    if n + 1 < 4 {
                        State::Length(n + 1, l)
                    } else {
                        let len = u32::from_le_bytes(l);
                        let ulen = usize::try_from(len).unwrap_or(usize::MAX);
                        if len == 0 {
                            self.state = State::Magic(0);
                            return (used, Progress::End);
                        }
                        if ulen > self.buf.len() {
                            self.state = State::Skip { left: ulen };
                            return (used, Progress::TooLarge(len));
                        }
                        State::Body { len: ulen, got: 0 }
                    }
                }
                State::Body { len, got } => {
                    if let Some(slot) = self.buf.get_mut(got) {
                        *slot = b;
                    }
                    if got + 1 == len {
                        self.state = State::Done(len);
                        return (used, Progress::Complete(len));
                    }
                    State::Body { len, got: got + 1 }
                }
                State::Skip { left } => {
                    if left <= 1 {
                        State::Magic(0)
                    } else {
                        State::Skip { left: left - 1 }
                    }
                }
                State::Done(_) => State::Magic(0),
            };
        }
        (data.len(), Progress::NeedMore)
    }

    /// The last complete envelope (empty if none is waiting).
    pub fn frame(&self) -> &[u8] {
        match self.state {
            State::Done(len) => self.buf.get(..len).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// Why a datagram was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UdpError {
    /// Shorter than the header, wrong magic, or an empty chunk.
    NotAChunk,
    /// The chunk does not fit `total`, is longer than [`UDP_CHUNK`], or does
    /// not start at a multiple of [`UDP_CHUNK`].
    BadChunk,
    /// `total` differs from the transfer's first datagram.
    TotalChanged,
    /// The envelope is larger than the buffer (or than the chunk map).
    TooLarge,
}

/// Reassembles one transfer of UDP datagrams into a caller-provided buffer.
pub struct UdpReassembler<'b> {
    buf: &'b mut [u8],
    transfer: Option<u16>,
    total: usize,
    /// Received chunks (bit i = chunk at offset i × UDP_CHUNK).
    have: [u64; 4],
}

/// Largest envelope a [`UdpReassembler`] tracks (256 chunks).
pub const UDP_MAX_TOTAL: usize = 256 * UDP_CHUNK;

impl<'b> UdpReassembler<'b> {
    /// A reassembler for envelopes of at most `buf.len()` bytes.
    pub fn new(buf: &'b mut [u8]) -> Self {
        UdpReassembler {
            buf,
            transfer: None,
            total: 0,
            have: [0; 4],
        }
    }

    /// Takes one datagram. Returns `Ok(Some(total))` when the transfer is
    /// complete (the envelope is in [`UdpReassembler::envelope`]),
    /// `Ok(None)` while chunks are missing. A datagram of another transfer
    /// id abandons the current transfer and starts the new one.
    pub fn push(&mut self, datagram: &[u8]) -> Result<Option<usize>, UdpError> {
        let (header, chunk) = datagram
            .split_at_checked(UDP_HEADER_LEN)
            .ok_or(UdpError::NotAChunk)?;
        if header.get(..2) != Some(&UDP_MAGIC[..]) || chunk.is_empty() {
            return Err(UdpError::NotAChunk);
        }
        let field = |i: usize| {
            header
                .get(i..i + 2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
                .unwrap_or(0)
        };
        let (id, offset, total) = (field(2), field(4) as usize, field(6) as usize);
        if total > self.buf.len() || total > UDP_MAX_TOTAL {
            return Err(UdpError::TooLarge);
        }
        if chunk.len() > UDP_CHUNK
            || offset % UDP_CHUNK != 0
            || offset
                .checked_add(chunk.len())
                .is_none_or(|end| end > total)
            || (offset + chunk.len() != total && chunk.len() != UDP_CHUNK)
        {
            return Err(UdpError::BadChunk);
        }
        if self.transfer != Some(id) {
            self.transfer = Some(id);
            self.total = total;
            self.have = [0; 4];
        } else if self.total != total {
            return Err(UdpError::TotalChanged);
        }
        let dst = self
            .buf
            .get_mut(offset..offset + chunk.len())
            .ok_or(UdpError::TooLarge)?;
        dst.copy_from_slice(chunk);
        let index = offset / UDP_CHUNK;
        if let Some(word) = self.have.get_mut(index / 64) {
            *word |= 1 << (index % 64);
        }
        let chunks = total.div_ceil(UDP_CHUNK);
        let complete = (0..chunks).all(|i| {
            self.have
                .get(i / 64)
                .is_some_and(|w| w & (1 << (i % 64)) != 0)
        });
        Ok(complete.then_some(total))
    }

    /// The reassembled envelope once [`UdpReassembler::push`] reported it
    /// complete (the first `total` bytes of the buffer).
    pub fn envelope(&self) -> &[u8] {
        self.buf.get(..self.total).unwrap_or(&[])
    }
}
