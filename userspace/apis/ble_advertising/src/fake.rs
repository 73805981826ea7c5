//! A fake of Tock 2.2's BLE advertising driver for unit tests, modelling its
//! system call ABI: one read-only buffer (the payload, read at every
//! advertising event, at most 31 bytes used), commands 0 (start: PDU type must
//! be ADV_IND/ADV_NONCONN_IND/ADV_SCAN_IND, interval at least 20 ms; BUSY
//! unless idle), 1 (stop; BUSY unless advertising and between advertising
//! events), 2 (TX power in dBm as a
//! u8, 0..=10 or 0xEC..=0xFF; BUSY while advertising), NOSUPPORT otherwise.

use crate::DRIVER_NUM;
use libtock_platform::{CommandReturn, ErrorCode};
use libtock_unittest::{command_return, DriverInfo, RoAllowBuffer};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

pub struct FakeBle {
    payload: RefCell<RoAllowBuffer>,
    /// Some((pdu type, interval ms)) while advertising.
    advertising: Cell<Option<(u8, u32)>>,
    tx_power: Cell<u8>,
    /// An advertising event is in progress (the real driver is then in its
    /// `Advertising(channel)` state and refuses stop with BUSY).
    in_event: Cell<bool>,
    /// TX power levels the fake radio accepts (the nRF52840 radio accepts a
    /// subset of the range the capsule lets through).
    supported_power: Vec<u8>,
}

impl FakeBle {
    pub fn new() -> Rc<FakeBle> {
        Rc::new(FakeBle {
            payload: Default::default(),
            advertising: Cell::new(None),
            tx_power: Cell::new(0),
            in_event: Cell::new(false),
            supported_power: vec![0, 2, 3, 4, 5, 6, 7, 8, 0xFC, 0xF8, 0xF4, 0xF0, 0xEC],
        })
    }

    /// (PDU type, interval) while advertising.
    pub fn advertising(&self) -> Option<(u8, u32)> {
        self.advertising.get()
    }

    /// The TX power setting, as the driver stores it.
    pub fn tx_power(&self) -> u8 {
        self.tx_power.get()
    }

    /// Simulates being in the middle of an advertising event (or not).
    pub fn set_in_event(&self, in_event: bool) {
        self.in_event.set(in_event);
    }

    /// One advertising event: the payload bytes that would go on air (the
    /// shared buffer, truncated to 31 bytes), or None when not advertising.
    pub fn advertising_event(&self) -> Option<Vec<u8>> {
        self.advertising.get()?;
        let payload = self.payload.borrow();
        Some(payload[..payload.len().min(31)].to_vec())
    }
}

impl libtock_unittest::fake::SyscallDriver for FakeBle {
    fn info(&self) -> DriverInfo {
        DriverInfo::new(DRIVER_NUM).upcall_count(1)
    }

    fn allow_readonly(
        &self,
        buffer_num: u32,
        buffer: RoAllowBuffer,
    ) -> Result<RoAllowBuffer, (RoAllowBuffer, ErrorCode)> {
        match buffer_num {
            0 => Ok(self.payload.replace(buffer)),
            _ => Err((buffer, ErrorCode::NoSupport)),
        }
    }

    fn command(&self, command_id: u32, arg0: u32, arg1: u32) -> CommandReturn {
        match command_id {
            0 => {
                if self.advertising.get().is_some() {
                    return command_return::failure(ErrorCode::Busy);
                }
                match arg0 {
                    0b0000 | 0b0010 | 0b0110 => {
                        self.advertising.set(Some((arg0 as u8, arg1.max(20))));
                        command_return::success()
                    }
                    _ => command_return::failure(ErrorCode::Invalid),
                }
            }
            1 => {
                if self.advertising.get().is_none() || self.in_event.get() {
                    return command_return::failure(ErrorCode::Busy);
                }
                self.advertising.set(None);
                command_return::success()
            }
            2 => {
                if self.advertising.get().is_some() {
                    return command_return::failure(ErrorCode::Busy);
                }
                match arg0 as u8 {
                    p @ (0..=10 | 0xEC..=0xFF) => {
                        if self.supported_power.contains(&p) {
                            self.tx_power.set(p);
                            command_return::success()
                        } else {
                            command_return::failure(ErrorCode::Invalid)
                        }
                    }
                    _ => command_return::failure(ErrorCode::Invalid),
                }
            }
            _ => command_return::failure(ErrorCode::NoSupport),
        }
    }
}
