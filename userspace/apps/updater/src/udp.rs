//! Receiving envelopes over UDP (Tock's 6LoWPAN UDP driver 0x30002, on the
//! nRF52840-DK), as `femto deploy --udp ADDR:PORT` sends them: datagrams
//! `"FU"` + transfer id + offset + total + at most 64 envelope bytes,
//! reassembled with `femto_update::transfer::UdpReassembler`.
//!
//! Only build-checked: this project had no DK (and QEMU has no radio) to
//! run it on.

use core::cell::Cell;
use femto_update::transfer::UdpReassembler;
use libtock::platform::{share, AllowRw, DefaultConfig, ErrorCode, Subscribe, Syscalls};
use libtock::runtime::TockSyscalls;

/// Tock's UDP driver.
const DRIVER: u32 = 0x30002;
/// The port the updater listens on.
pub const PORT: u16 = 4242;
/// Bytes of the driver's endpoint: IPv6 address (16) + port (u16, host order).
const ENDPOINT: usize = 18;
/// Read-write allows of the driver: received payload, interface list, bind config.
const ALLOW_READ: u32 = 0;
const ALLOW_CFG: u32 = 1;
const ALLOW_RX_CFG: u32 = 2;
/// Subscribe: a datagram arrived (`len`).
const SUBSCRIBE_RECEIVED: u32 = 0;
/// Commands: interface list, bind.
const COMMAND_INTERFACES: u32 = 1;
const COMMAND_BIND: u32 = 3;

/// Whether the board has the UDP driver.
pub fn exists() -> bool {
    TockSyscalls::command(DRIVER, 0, 0, 0).is_success()
}

/// Binds [`PORT`] on the board's first interface address and calls
/// `on_envelope` with every envelope that arrives completely. Returns only
/// if the driver refuses something.
pub fn serve(buf: &mut [u8], mut on_envelope: impl FnMut(&[u8])) -> Result<(), ErrorCode> {
    let mut iface = [0u8; 16];
    share::scope::<AllowRw<TockSyscalls, DRIVER, ALLOW_CFG>, _, _>(|cfg| {
        TockSyscalls::allow_rw::<DefaultConfig, DRIVER, ALLOW_CFG>(cfg, &mut iface)?;
        TockSyscalls::command(DRIVER, COMMAND_INTERFACES, 1, 0).to_result::<u32, ErrorCode>()?;
        Ok::<(), ErrorCode>(())
    })?;
    // Second endpoint of the bind config: the local address and port.
    let mut rx_cfg = [0u8; 2 * ENDPOINT];
    rx_cfg[ENDPOINT..ENDPOINT + 16].copy_from_slice(&iface);
    rx_cfg[ENDPOINT + 16..].copy_from_slice(&PORT.to_le_bytes());
    share::scope::<AllowRw<TockSyscalls, DRIVER, ALLOW_RX_CFG>, _, _>(|cfg| {
        TockSyscalls::allow_rw::<DefaultConfig, DRIVER, ALLOW_RX_CFG>(cfg, &mut rx_cfg)?;
        TockSyscalls::command(DRIVER, COMMAND_BIND, 0, 0).to_result::<(), ErrorCode>()
    })?;
    let mut reassembler = UdpReassembler::new(buf);
    let mut datagram = [0u8; 128];
    loop {
        // A datagram that arrives between two of these scopes (while the
        // last one is processed) finds no buffer and is lost; the transfer
        // then does not complete (`femto deploy` sends 20 ms apart).
        let received: Cell<Option<(u32,)>> = Cell::new(None);
        share::scope::<
            (
                AllowRw<TockSyscalls, DRIVER, ALLOW_READ>,
                Subscribe<TockSyscalls, DRIVER, SUBSCRIBE_RECEIVED>,
            ),
            _,
            _,
        >(|handle| {
            let (read, subscribe) = handle.split();
            TockSyscalls::allow_rw::<DefaultConfig, DRIVER, ALLOW_READ>(read, &mut datagram)?;
            TockSyscalls::subscribe::<_, _, DefaultConfig, DRIVER, SUBSCRIBE_RECEIVED>(
                subscribe, &received,
            )?;
            while received.get().is_none() {
                TockSyscalls::yield_wait();
            }
            Ok::<(), ErrorCode>(())
        })?;
        let len = received.get().map_or(0, |(len,)| len as usize);
        let Some(bytes) = datagram.get(..len) else {
            continue;
        };
        if let Ok(Some(_total)) = reassembler.push(bytes) {
            on_envelope(reassembler.envelope());
        }
    }
}
