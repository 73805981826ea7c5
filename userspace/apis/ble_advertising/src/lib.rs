//! libtock-rs API for Tock's BLE advertising driver (driver number
//! `0x30000`, `capsules_extra::ble_advertising_driver` in Tock 2.2).
//!
//! The driver gives each process its own random static address and sends the
//! process's advertising payload on the three advertising channels every
//! interval. The payload (at most 31 bytes of AD structures, see
//! [`AdvPayload`]) is read from the shared buffer at every advertising event,
//! so it must stay shared while advertising; to change it, stop, share the new
//! payload and start again.
//!
//! Passive scanning (command 5, subscribe 0, read-write allow 0) is not
//! covered by this crate.
#![cfg_attr(not(test), no_std)]

mod payload;

pub use payload::{AdvPayload, MAX_PAYLOAD};

use libtock_platform::{share, AllowRo, DefaultConfig, ErrorCode, Syscalls};

/// The BLE advertising driver.
pub struct BleAdvertising<S: Syscalls, C: libtock_platform::allow_ro::Config = DefaultConfig>(S, C);

/// The kind of advertising PDU to send.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PduType {
    /// `ADV_IND`: connectable and scannable undirected advertising.
    Connectable = 0b0000,
    /// `ADV_NONCONN_IND`: non-connectable, non-scannable (a beacon).
    NonConnectable = 0b0010,
    /// `ADV_SCAN_IND`: scannable undirected advertising.
    Scannable = 0b0110,
}

impl<S: Syscalls, C: libtock_platform::allow_ro::Config> BleAdvertising<S, C> {
    /// `Ok(())` if the driver is present. The driver has no "exists" command
    /// (its command 0 starts advertising); this issues a command number the
    /// driver does not implement, which a present driver answers with
    /// `NoSupport` and an absent one with `NoDevice`.
    pub fn exists() -> Result<(), ErrorCode> {
        match S::command(DRIVER_NUM, command::PROBE, 0, 0).to_result::<(), ErrorCode>() {
            Ok(()) | Err(ErrorCode::NoSupport) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Shares the advertising payload (AD structures, at most 31 bytes are
    /// sent). Keep it shared while advertising.
    pub fn share_payload<'share>(
        allow: share::Handle<AllowRo<'share, S, DRIVER_NUM, { allow_ro::ADV_DATA }>>,
        payload: &'share [u8],
    ) -> Result<(), ErrorCode> {
        S::allow_ro::<C, DRIVER_NUM, { allow_ro::ADV_DATA }>(allow, payload)
    }

    /// Starts periodic advertising of the shared payload every `interval_ms`
    /// (the driver uses at least 20 ms). Errors: `Busy` if this process is
    /// already advertising or scanning.
    pub fn start(pdu: PduType, interval_ms: u32) -> Result<(), ErrorCode> {
        S::command(
            DRIVER_NUM,
            command::START_ADVERTISING,
            pdu as u32,
            interval_ms,
        )
        .to_result()
    }

    /// Stops advertising. Errors: `Busy` if this process is not advertising
    /// (nor scanning) — and also while one of its advertising events is on
    /// the air (the driver only stops between events): see
    /// [`Self::stop_retrying`].
    pub fn stop() -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::STOP, 0, 0).to_result()
    }

    /// Stops advertising, retrying up to `attempts` times while the driver
    /// answers `Busy`, calling `wait` between attempts (e.g. a few ms of
    /// sleep: an advertising event lasts a few ms). Returns the last answer.
    pub fn stop_retrying(attempts: u32, mut wait: impl FnMut()) -> Result<(), ErrorCode> {
        let mut result = Self::stop();
        for _ in 1..attempts {
            if result != Err(ErrorCode::Busy) {
                break;
            }
            wait();
            result = Self::stop();
        }
        result
    }

    /// Sets the transmit power in dBm, `-20..=10` (the radio may support only
    /// some levels: others give `Invalid` or `NoSupport`). Errors: `Busy`
    /// while advertising, `Invalid` out of range.
    pub fn set_tx_power(dbm: i8) -> Result<(), ErrorCode> {
        if !(-20..=10).contains(&dbm) {
            return Err(ErrorCode::Invalid);
        }
        S::command(DRIVER_NUM, command::TX_POWER, u32::from(dbm as u8), 0).to_result()
    }

    /// Shares `payload` and starts advertising it, for as long as `allow`'s
    /// scope lasts (the kernel stops sending it when the scope ends and the
    /// buffer is unshared; call [`Self::stop`] before that to stop cleanly).
    pub fn advertise<'share>(
        allow: share::Handle<AllowRo<'share, S, DRIVER_NUM, { allow_ro::ADV_DATA }>>,
        payload: &'share [u8],
        pdu: PduType,
        interval_ms: u32,
    ) -> Result<(), ErrorCode> {
        Self::share_payload(allow, payload)?;
        Self::start(pdu, interval_ms)
    }
}

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;

/// The driver number of Tock's BLE advertising driver.
pub const DRIVER_NUM: u32 = 0x30000;

/// Command numbers.
pub mod command {
    /// Start advertising (argument 1: PDU type, argument 2: interval in ms).
    pub const START_ADVERTISING: u32 = 0;
    /// Stop advertising or scanning.
    pub const STOP: u32 = 1;
    /// Set the TX power (argument 1: dBm as an 8-bit two's complement value).
    pub const TX_POWER: u32 = 2;
    /// A number the driver does not implement, used to probe for it.
    pub const PROBE: u32 = 0xFFFF;
}

/// Read-only allow numbers.
pub mod allow_ro {
    /// The advertising payload.
    pub const ADV_DATA: u32 = 0;
}
